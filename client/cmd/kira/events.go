package main

import (
	"context"
	"flag"
	"strconv"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
)

var eventHeader = []string{"ID", "TYPE", "USER", "CREATED"}

func eventRow(e apitypes.EventRecord) []string {
	return []string{e.Id.String(), string(e.Type), idOf(e.UserId), timestamp(e.CreatedAt)}
}

// eventDetailRows lists an event's deliveries, one row per delivery.
func eventDetailRows(e *apitypes.EventDetail) [][]string {
	rows := [][]string{{e.Id.String(), string(e.Type), idOf(e.UserId), timestamp(e.CreatedAt), "", "", "", ""}}
	for _, d := range e.Deliveries {
		last := ""
		if n := len(d.Attempts); n > 0 {
			if code := d.Attempts[n-1].StatusCode; code != nil {
				last = strconv.Itoa(int(*code))
			} else {
				last = str(d.Attempts[n-1].Error)
			}
		}
		rows = append(rows, []string{"", "", "", "", d.EndpointId.String(), string(d.Status), strconv.Itoa(len(d.Attempts)), last})
	}
	return rows
}

var eventsCommands = []*command{
	{
		path: "events list", flags: "[--type T] [--user-id U] [--limit N]",
		summary: "List events, newest first, across pages.",
		setup: func(fs *flag.FlagSet) runFunc {
			typ := enumFlag(fs, "type", "only events of this `type`", eventTypes)
			user := fs.String("user-id", "", "only events about this `user`")
			limit := fs.Int("limit", 100, "show at most `N` events (0: all)")
			return func(ctx context.Context, k *cli, _ []string) error {
				c, err := k.newClient()
				if err != nil {
					return err
				}
				events := c.Events.List(ctx, client.EventListParams{Type: *typ, UserID: *user, PageSize: pageSizeFor(*limit)})
				return printList(k, events, *limit, eventHeader, eventRow)
			}
		},
	},
	{
		path: "events get", args: []string{"ID"},
		summary: "Show an event, its payload as delivered and every delivery attempt.",
		setup: func(*flag.FlagSet) runFunc {
			return func(ctx context.Context, k *cli, args []string) error {
				c, err := k.newClient()
				if err != nil {
					return err
				}
				e, err := c.Events.Get(ctx, args[0])
				if err != nil {
					return err
				}
				return k.print(e, []string{"ID", "TYPE", "USER", "CREATED", "ENDPOINT", "DELIVERY", "ATTEMPTS", "LAST"}, eventDetailRows(e)...)
			}
		},
	},
	{
		path: "events redeliver", args: []string{"ID"},
		summary: "Deliver an event again to every endpoint subscribed to its type.",
		setup: func(*flag.FlagSet) runFunc {
			return func(ctx context.Context, k *cli, args []string) error {
				c, err := k.newClient()
				if err != nil {
					return err
				}
				r, err := c.Events.Redeliver(ctx, args[0])
				if err != nil {
					return err
				}
				return k.print(r, []string{"EVENT", "DELIVERIES QUEUED"}, []string{r.EventId.String(), strconv.Itoa(int(r.DeliveriesQueued))})
			}
		},
	},
}
