package film

import (
	"fmt"
	"os"
	"path/filepath"

	"copystation/media/udf"
)

// BDMVFiles are the files Author puts in a film's image, as paths inside
// it.
var BDMVFiles = []string{"BDMV/index.bdmv", "BDMV/MovieObject.bdmv", "BDMV/PLAYLIST/00000.mpls",
	"BDMV/CLIPINF/00000.clpi", StreamPath, "BDMV/BACKUP/index.bdmv", "BDMV/BACKUP/MovieObject.bdmv",
	"BDMV/BACKUP/PLAYLIST/00000.mpls", "BDMV/BACKUP/CLIPINF/00000.clpi"}

// Extract writes the BDMV tree of a film's image (as authored, or a
// decrypted copy of it) into dir/BDMV, as someone would copy it off a
// mounted disc: libbluray and players open BDMV folders and ISO images,
// but not a BD-R's VAT volume.
func Extract(img []byte, dir string) error {
	for _, p := range BDMVFiles {
		b, err := udf.ReadFile(img, p)
		if err != nil {
			return fmt.Errorf("film.Extract: %s: %w", p, err)
		}
		out := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return fmt.Errorf("film.Extract: %w", err)
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return fmt.Errorf("film.Extract: %w", err)
		}
	}
	return nil
}
