package tftproot

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// collect removes old bundles and generations under root, before current
// moves to cur (prev will be previous): it keeps the bundles of cur and
// prev and the most recently installed others, keep in all (more when
// cur's and prev's are not among the newest), and per kept bundle its
// newest generation, besides cur and prev. Each goes by a rename to a
// dot name first, so a kill mid-removal leaves nothing that looks whole.
func collect(root string, keep int, cur, prev string) error {
	bundles, err := byAge(filepath.Join(root, BundlesDir))
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, l := range []string{cur, prev} {
		if l != "" {
			kept[bundleOf(filepath.Base(l))] = true
		}
	}
	for _, b := range bundles {
		if len(kept) >= keep {
			break
		}
		kept[b] = true
	}
	for _, b := range bundles {
		if !kept[b] {
			if err := remove(filepath.Join(root, BundlesDir), b); err != nil {
				return err
			}
		}
	}
	gens, err := byAge(filepath.Join(root, GenerationsDir))
	if err != nil {
		return err
	}
	newest := map[string]bool{} // bundles whose newest generation is seen
	for _, g := range gens {
		b := bundleOf(g)
		if filepath.Join(GenerationsDir, g) == cur || filepath.Join(GenerationsDir, g) == prev || (kept[b] && !newest[b]) {
			newest[b] = true
			continue
		}
		if err := remove(filepath.Join(root, GenerationsDir), g); err != nil {
			return err
		}
	}
	return nil
}

// bundleOf is the bundle hex a generation's name ends with.
func bundleOf(gen string) string { return gen[strings.LastIndex(gen, "-")+1:] }

// byAge lists dir's names (dot names aside), newest first.
func byAge(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type aged struct {
		name string
		ns   int64
	}
	var list []aged
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		list = append(list, aged{e.Name(), fi.ModTime().UnixNano()})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].ns != list[j].ns {
			return list[i].ns > list[j].ns
		}
		return list[i].name < list[j].name
	})
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = a.name
	}
	return names, nil
}

func remove(dir, name string) error {
	trash := filepath.Join(dir, ".trash-"+name)
	if err := os.Rename(filepath.Join(dir, name), trash); err != nil {
		return err
	}
	return os.RemoveAll(trash)
}
