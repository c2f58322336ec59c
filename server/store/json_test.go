package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/kiraapi/kira/server/kyc"
)

// TestStoredJSONDecodesAlikeInBothImplementations checks that what encodeUser writes with
// encoding/json decodes to the same values with the json/v2 implementation scanUserKey reads it
// with: every field of Fields, its persons, identifiers and documents, Secrets and Reasons, each
// set (fill) or left at its zero value.
func TestStoredJSONDecodesAlikeInBothImplementations(t *testing.T) {
	var full kyc.Fields
	fill(reflect.ValueOf(&full).Elem(), "v")
	var reasons []kyc.Reason
	fill(reflect.ValueOf(&reasons).Elem(), "r")
	if b, _ := json.Marshal(full.AssociatedPersons[1]); !strings.Contains(string(b), `"ownership_percentage":`) || !strings.Contains(string(b), `"uploaded_at":"2026-03-04T05:06:07.891011121-05:00"`) {
		t.Fatalf("fill left fields unset: %s", b)
	}
	public, secrets := full.Split()
	cases := []struct {
		name string
		v    any // a pointer to the value written
	}{
		{"full fields", &full},
		{"empty fields", &kyc.Fields{}},
		{"public fields", &public},
		{"secrets", &secrets},
		{"empty secrets", &kyc.Secrets{}},
		{"reasons", &reasons},
		{"no reasons", new([]kyc.Reason)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			typ := reflect.TypeOf(c.v).Elem()
			v1, v2 := reflect.New(typ), reflect.New(typ)
			if err := json.Unmarshal(b, v1.Interface()); err != nil {
				t.Fatal(err)
			}
			if err := jsonv2.Unmarshal(b, v2.Interface()); err != nil {
				t.Fatalf("json/v2 refuses %s: %v", b, err)
			}
			if !reflect.DeepEqual(v1.Interface(), v2.Interface()) {
				t.Errorf("from %s\nencoding/json reads %+v\njson/v2 reads       %+v", b, v1.Elem(), v2.Elem())
			}
		})
	}
}

// fill sets every exported field reachable from v to a value other than its zero value: strings
// to distinct texts with characters encoding/json escapes, numbers, booleans, pointers, times
// (with a zone and nanoseconds), one-entry slices and maps.
func fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(path + " <&> é \u2028")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(len(path)) + 1<<40)
	case reflect.Float64, reflect.Float32:
		v.SetFloat(float64(len(path)) + 0.125)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), path)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(path))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, path+".key")
		fill(e, path+".value")
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.FixedZone("", -5*3600))))
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				fill(v.Field(i), path+"."+f.Name)
			}
		}
	}
}
