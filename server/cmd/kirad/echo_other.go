//go:build !linux

package main

import (
	"errors"
	"os"
)

// disableEcho is supported on Linux only; elsewhere, pipe the password in on stdin.
func disableEcho(*os.File) (func(), error) {
	return nil, errors.New("typing a password at a prompt is supported on Linux only: pipe it in on stdin")
}
