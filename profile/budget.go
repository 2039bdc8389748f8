package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"rambox/bundle"
)

// BudgetsFile, in a profile's directory, holds the most bytes each sized
// output of its build may have. Sizes are deterministic bytes, so a build
// over a budget is a failure, not a flake.
const BudgetsFile = "budgets.json"

// Busybox is the name the budgets give the static busybox binary, which
// the bundle ships inside the initramfs rather than as a file of its own.
const Busybox = "busybox"

// Budgeted are the outputs every x86 profile budgets, in the order they
// are checked and reported; other architectures budget their own kernel
// image instead of bundle.Kernel. A profile that builds a UKI budgets
// bundle.UKI too, after them (Profile.Budgeted).
var Budgeted = []string{bundle.Kernel, bundle.Initramfs, Busybox}

// budgeted is Budgeted for arch, and bundle.UKI when uki.
func budgeted(arch Arch, uki bool) []string {
	names := slices.Clone(Budgeted)
	names[0] = arch.Kernel()
	if uki {
		names = append(names, bundle.UKI)
	}
	return names
}

// Budgeted are the outputs p budgets, in order.
func (p *Profile) Budgeted() []string { return budgeted(p.Arch, p.UKI) }

// ErrOverBudget is wrapped by the error of an output larger than its budget.
var ErrOverBudget = errors.New("over its budget")

// Budgets maps each of Budgeted to its most bytes.
type Budgets map[string]int64

// loadBudgets reads and validates a profile's budgets.json: a budget for
// each of budgeted(arch, uki), positive, and nothing else.
func loadBudgets(file string, arch Arch, uki bool) (Budgets, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var bud Budgets
	if err := json.Unmarshal(b, &bud); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var errs []error
	known := map[string]bool{}
	names := budgeted(arch, uki)
	for _, name := range names {
		known[name] = true
		if n, ok := bud[name]; !ok {
			errs = append(errs, fmt.Errorf("%s: no budget for %s", file, name))
		} else if n <= 0 {
			errs = append(errs, fmt.Errorf("%s: budget for %s is %d B, want a positive size", file, name, n))
		}
	}
	for name := range bud {
		if !known[name] {
			errs = append(errs, fmt.Errorf("%s: %q is not a budgeted output of this profile (budgeted: %v)", file, name, names))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return bud, nil
}

// CheckSizes compares the sizes of a build's outputs with the profile's
// budgets and returns one error naming every output that is over, or
// whose size is unknown.
func (p *Profile) CheckSizes(sizes map[string]int64) error {
	return checkSizes(p.Name, filepath.Join(p.Dir, BudgetsFile), p.Budgets, sizes)
}

// budgetOrder is the order of budgets' outputs: Budgeted with the
// kernel image budgets has, then bundle.UKI when it has one (loadBudgets
// allowed only the profile's own kernel, and the UKI only for a UKI
// profile).
func budgetOrder(budgets Budgets) []string {
	_, uki := budgets[bundle.UKI]
	arch := ArchX86_64
	for _, a := range Arches {
		if _, ok := budgets[a.Kernel()]; ok {
			arch = a
		}
	}
	return budgeted(arch, uki)
}

// checkSizes is CheckSizes for the profile named profile, whose budgets
// were read from file.
func checkSizes(profile, file string, budgets Budgets, sizes map[string]int64) error {
	var errs []error
	for _, name := range budgetOrder(budgets) {
		budget, ok := budgets[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no budget in profile %s (%s)", name, profile, file))
			continue
		}
		size, ok := sizes[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: size not measured, budget %s B (profile %s)", name, bytesText(budget), profile))
		case size > budget:
			errs = append(errs, fmt.Errorf("%s: %s B, %w of %s B (profile %s; %s)",
				name, bytesText(size), ErrOverBudget, bytesText(budget), profile, file))
		}
	}
	return errors.Join(errs...)
}

// bytesText writes n with thousands separators: 1,251,875.
func bytesText(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
