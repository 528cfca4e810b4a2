// Package binpath finds the repository and the pinned helper binaries that
// `make tools` installs in its bin/ directory (versitygw, aws-lambda-rie).
package binpath

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Root is the repository root: the nearest directory at or above the
// working directory holding go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("binpath: not inside the repository (no go.mod above)")
		}
		dir = parent
	}
}

// Find locates a helper: the path in the environment variable env when it
// is set, else name on the PATH, else bin/name in the repository.
func Find(name, env string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if root, err := Root(); err == nil {
		p := filepath.Join(root, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found: run `make tools` (or set %s)", name, env)
}
