package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat: Linux's USER_HZ, 100 per second on
// every architecture Go supports (proc(5)).
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time the process pid has used so far, in user and kernel mode, its exited
// threads' included (utime + stime in /proc/PID/stat, proc(5)), to 10 ms. It is an error where
// /proc cannot be read (outside Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	d, err := statCPUTime(string(b))
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return d, nil
}

// statCPUTime is utime + stime of a /proc/PID/stat line.
func statCPUTime(stat string) (time.Duration, error) {
	// The command name, field 2, is in parentheses and may hold spaces and parentheses: fields
	// count from the last ")".
	i := strings.LastIndexByte(stat, ')')
	fields := strings.Fields(stat[i+1:])
	if i < 0 || len(fields) < 13 {
		return 0, fmt.Errorf("unexpected format")
	}
	// utime and stime are fields 14 and 15, the 12th and 13th after the name.
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}
