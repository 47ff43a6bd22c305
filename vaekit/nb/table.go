package nb

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Table prints rows under a header, the columns aligned, so that numbers a cell computes
// read as a table in the notebook's output (and in its saved copy). Cells are printed with
// fmt's %v; format numbers before passing them for a fixed precision.
func Table(header []string, rows [][]any) {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	line := func(cells []string) { fmt.Fprintln(w, strings.Join(cells, "\t")+"\t") }
	line(header)
	rule := make([]string, len(header))
	for i, h := range header {
		rule[i] = strings.Repeat("-", len(h))
	}
	line(rule)
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = fmt.Sprint(v)
		}
		line(cells)
	}
	_ = w.Flush()
}
