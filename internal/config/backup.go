package config

import (
	"slices"
	"strings"
	"time"
)

// Backup is the backup function's configuration.
type Backup struct {
	Runtime
	SourceBucket string
	BackupBucket string
	// BackupRegion is the backup bucket's region (the standby's), when it
	// differs from AWS_REGION.
	BackupRegion string
	// Prefixes are what is backed up (default diagrams/, and failover/
	// always); Namespace keeps this region's backups apart.
	Prefixes  []string
	Namespace string
	// Retention and LockMode are the Object Lock of every backup copy
	// (0: none); ThawTier the archive retrieval tier of restores.
	Retention   time.Duration
	LockMode    string
	ThawTier    string
	Concurrency int
}

// LoadBackup reads the backup function's configuration.
func LoadBackup(getenv func(string) string) (Backup, error) {
	e := &env{get: getenv}
	c := Backup{
		Runtime:      e.runtime(),
		SourceBucket: e.required(EnvSourceBucket),
		BackupBucket: e.required(EnvBackupBucket),
		BackupRegion: e.str(EnvBackupRegion, ""),
		Namespace:    e.str(EnvBackupNamespace, ""),
		Retention:    e.duration(EnvBackupRetention, 0, 0, true),
		LockMode:     e.oneOf(EnvBackupLockMode, "GOVERNANCE", "GOVERNANCE", "COMPLIANCE"),
		ThawTier:     e.oneOf(EnvBackupThawTier, "Standard", "Standard", "Bulk", "Expedited"),
		Concurrency:  e.size(EnvBackupWorkers, DefaultBackupConcurrency),
	}
	if c.SourceBucket != "" && c.SourceBucket == c.BackupBucket {
		e.fail(EnvBackupBucket, "must differ from %s", EnvSourceBucket)
	}
	// The failover's state is always backed up; BACKUP_PREFIXES names the
	// rest (default diagrams/).
	c.Prefixes = []string{"failover/"}
	for _, p := range strings.Split(e.str(EnvBackupPrefixes, "diagrams/"), ",") {
		switch p = strings.TrimSpace(p); {
		case p == "" || strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/"):
			e.fail(EnvBackupPrefixes, "%q is not a prefix such as diagrams/", p)
		case !slices.Contains(c.Prefixes, p):
			c.Prefixes = append(c.Prefixes, p)
		}
	}
	if err := e.err(); err != nil {
		return Backup{}, err
	}
	return c, nil
}
