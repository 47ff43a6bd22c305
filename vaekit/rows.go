package vaekit

import "fmt"

// checkRows checks that rows is a non-empty matrix: every row of the same, non-zero length.
func checkRows(what string, rows [][]float32) error {
	if len(rows) == 0 {
		return fmt.Errorf("vaekit: no %s given", what)
	}
	for i, r := range rows {
		if len(r) == 0 || len(r) != len(rows[0]) {
			return fmt.Errorf("vaekit: %s[%d] has %d values, expected %d like %s[0] (and at least 1)", what, i, len(r), len(rows[0]), what)
		}
	}
	return nil
}

// checkSameShape checks that a and b are matrices of the same shape.
func checkSameShape(whatA string, a [][]float32, whatB string, b [][]float32) error {
	if err := checkRows(whatA, a); err != nil {
		return err
	}
	if err := checkRows(whatB, b); err != nil {
		return err
	}
	if len(a) != len(b) || len(a[0]) != len(b[0]) {
		return fmt.Errorf("vaekit: %s are %dx%d but %s are %dx%d, expected the same shape", whatA, len(a), len(a[0]), whatB, len(b), len(b[0]))
	}
	return nil
}
