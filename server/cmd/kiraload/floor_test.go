package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestFloor checks the floor on SQLite: it reads its row, and a write of N statements writes N
// rows in one transaction.
func TestFloor(t *testing.T) {
	f, err := openFloor(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.close() })
	e := echo.New()
	f.routes(e)
	tests := []struct {
		method, target string
		want           int
		rows           int
	}{
		{"GET", "/floor/read", http.StatusOK, 1},
		{"POST", "/floor/write?statements=3", http.StatusCreated, 4},
		{"PUT", "/floor/write?statements=2", http.StatusOK, 6},
		{"POST", "/floor/write?statements=0", http.StatusBadRequest, 6},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(tt.method, tt.target, nil))
		if w.Code != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.target, w.Code, tt.want)
		}
		if w.Code < 300 && !bytes.Equal(w.Body.Bytes(), user) {
			t.Errorf("%s %s answered %q", tt.method, tt.target, w.Body)
		}
		var n int
		if err := f.read.QueryRowContext(t.Context(), "SELECT count(*) FROM kiraload_floor").Scan(&n); err != nil || n != tt.rows {
			t.Errorf("after %s %s: %d rows (%v), want %d", tt.method, tt.target, n, err, tt.rows)
		}
	}
}
