package vaekit

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// DefaultMemoryFraction is the part of this machine's memory a model may be estimated to
// need (DefaultMemoryLimit): the estimate is rough, and the data set, the backend and
// other processes need the rest.
const DefaultMemoryFraction = 0.5

// assumedMemory is the machine's memory where it cannot be read (no /proc/meminfo).
const assumedMemory = 8 << 30

// DefaultMemoryLimit is DefaultMemoryFraction of this machine's memory (MachineMemory).
func DefaultMemoryLimit() MemoryLimit { return MemoryLimitFraction(DefaultMemoryFraction) }

// MemoryLimitFraction is the given fraction of this machine's memory (MachineMemory).
func MemoryLimitFraction(fraction float64) MemoryLimit {
	total, source := MachineMemory()
	return MemoryLimit{Bytes: fraction * total, Source: fmt.Sprintf("%s%% of %s", strconv.FormatFloat(100*fraction, 'g', 4, 64), source)}
}

// MachineMemory is the memory this process may use, in bytes, and where that number comes
// from, for messages: the machine's memory (MemTotal of /proc/meminfo), or less where a
// cgroup's memory limit or the address-space limit (ulimit -v) is lower. Where none can be
// read (not Linux), it assumes 8 GiB, and says so.
func MachineMemory() (bytes float64, source string) {
	bytes, source = assumedMemory, fmt.Sprintf("an assumed %s (this machine's memory cannot be read from /proc/meminfo)", ByteSize(assumedMemory))
	if kib, ok := procField("/proc/meminfo", "MemTotal:"); ok {
		bytes, source = kib*1024, fmt.Sprintf("this machine's %s", ByteSize(kib*1024))
	}
	for _, limit := range []struct {
		path, what string
	}{
		{"/sys/fs/cgroup/memory.max", "the cgroup's memory limit"},                   // cgroup v2
		{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "the cgroup's memory limit"}, // cgroup v1
	} {
		if b, ok := fileNumber(limit.path); ok && b < bytes {
			bytes, source = b, fmt.Sprintf("%s of %s", limit.what, ByteSize(b))
		}
	}
	if b, ok := addressSpaceLimit(); ok && b < bytes {
		bytes, source = b, fmt.Sprintf("the address-space limit (ulimit -v) of %s", ByteSize(b))
	}
	return bytes, source
}

// procField reads the number after name in a /proc file of "name value" lines.
func procField(path, name string) (float64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) >= 2 && fields[0] == name {
			v, err := strconv.ParseFloat(fields[1], 64)
			return v, err == nil && v > 0
		}
	}
	return 0, false
}

// fileNumber reads a file holding one number ("max", a cgroup without a limit, is none).
func fileNumber(path string) (float64, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(raw)), 64)
	return v, err == nil && v > 0
}

// addressSpaceLimit is this process's soft address-space limit (ulimit -v), from
// /proc/self/limits.
func addressSpaceLimit() (float64, bool) {
	raw, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max address space"); ok {
			fields := strings.Fields(rest) // Soft limit, hard limit, unit.
			if len(fields) == 0 {
				return 0, false
			}
			v, err := strconv.ParseFloat(fields[0], 64)
			return v, err == nil && v > 0
		}
	}
	return 0, false
}
