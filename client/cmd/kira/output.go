package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
)

// printJSON writes v as indented JSON.
func (k *cli) printJSON(w io.Writer, v any) {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(k.stderr, "kira: encode the result: %v\n", err)
		return
	}
	_, _ = w.Write(append(raw, '\n'))
}

// print writes one result: JSON, or a table of header and rows.
func (k *cli) print(v any, header []string, rows ...[]string) error {
	if k.output == "json" {
		k.printJSON(k.stdout, v)
		return nil
	}
	tw := newTable(k.stdout)
	writeRow(tw, header)
	for _, r := range rows {
		writeRow(tw, r)
	}
	return tw.Flush()
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// writeRow writes one row; empty cells show as "-".
func writeRow(tw *tabwriter.Writer, cols []string) {
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = cmp.Or(c, "-")
	}
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
}

// printList writes up to limit items (0: all): a JSON array, or a table. It writes nothing when
// an error ends the list: the error is returned, and stdout stays empty.
func printList[T any](k *cli, items iter.Seq2[T, error], limit int, header []string, row func(T) []string) error {
	var out bytes.Buffer
	var tw *tabwriter.Writer
	if k.output == "table" {
		tw = newTable(&out)
		writeRow(tw, header)
	}
	var list []T
	for item, err := range items {
		if err != nil {
			return err
		}
		if tw != nil {
			writeRow(tw, row(item))
		}
		list = append(list, item)
		if limit > 0 && len(list) >= limit {
			break
		}
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := k.stdout.Write(out.Bytes())
		return err
	}
	if list == nil {
		list = []T{}
	}
	k.printJSON(k.stdout, list)
	return nil
}

// values iterates over a slice as a list that cannot fail.
func values[T any](s []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range s {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// str is the text of an optional value.
func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

func timestamp(t apitypes.DateTime) string { return t.UTC().Format(time.RFC3339) }

// readBody reads the JSON document named by the required -f flag, and returns it with a client to
// send it.
func (k *cli) readBody(path string) ([]byte, *client.Client, error) {
	if err := required("f", path); err != nil {
		return nil, nil, err
	}
	raw, err := k.readJSON(path)
	if err != nil {
		return nil, nil, err
	}
	c, err := k.newClient()
	if err != nil {
		return nil, nil, err
	}
	return raw, c, nil
}

// readJSON reads a JSON document from a file, or from stdin for "-".
func (k *cli) readJSON(path string) ([]byte, error) {
	var raw []byte
	var err error
	if path == "-" {
		if raw, err = io.ReadAll(k.stdin); err != nil {
			err = fmt.Errorf("read stdin: %w", err)
		}
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	if !json.Valid(raw) {
		return nil, &usageError{msg: fmt.Sprintf("%s is not valid JSON", path)}
	}
	return bytes.TrimSpace(raw), nil
}
