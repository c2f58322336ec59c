package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// disableEcho stops the terminal f from echoing what is typed, until restore.
func disableEcho(f *os.File) (restore func(), err error) {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	quiet := *t
	quiet.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, t) }, nil
}
