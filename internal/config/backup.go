package config

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Backup is the backup function's configuration.
type Backup struct {
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
	Retention        time.Duration
	LockMode         string
	ThawTier         string
	Concurrency      int
	S3ForcePathStyle bool
	LogLevel         slog.Level
	MetricsNamespace string
	InLambda         bool
}

// LoadBackup reads the backup function's configuration.
func LoadBackup(getenv func(string) string) (Backup, error) {
	var errs []error
	c := Backup{
		SourceBucket:     getenv(EnvSourceBucket),
		BackupBucket:     getenv(EnvBackupBucket),
		BackupRegion:     getenv(EnvBackupRegion),
		MetricsNamespace: or(getenv(EnvMetricsNamespace), DefaultNamespace),
		InLambda:         getenv(EnvLambdaRuntimeAPI) != "",
	}
	for name, v := range map[string]string{EnvSourceBucket: c.SourceBucket, EnvBackupBucket: c.BackupBucket} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
	}
	if c.SourceBucket != "" && c.SourceBucket == c.BackupBucket {
		errs = append(errs, fmt.Errorf("%s and %s must differ", EnvSourceBucket, EnvBackupBucket))
	}
	c.Concurrency = size(getenv, EnvBackupWorkers, DefaultBackupConcurrency, &errs)
	c.Namespace = getenv(EnvBackupNamespace)
	// The failover's state is always backed up; BACKUP_PREFIXES names the
	// rest (default diagrams/).
	c.Prefixes = []string{"failover/"}
	for _, p := range strings.Split(or(strings.TrimSpace(getenv(EnvBackupPrefixes)), "diagrams/"), ",") {
		switch p = strings.TrimSpace(p); {
		case p == "" || strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/"):
			errs = append(errs, fmt.Errorf("%s: %q is not a prefix such as diagrams/", EnvBackupPrefixes, p))
		case !slices.Contains(c.Prefixes, p):
			c.Prefixes = append(c.Prefixes, p)
		}
	}
	c.Retention = durationOrZero(getenv, EnvBackupRetention, 0, &errs)
	c.LockMode = strings.ToUpper(or(getenv(EnvBackupLockMode), "GOVERNANCE"))
	if c.LockMode != "GOVERNANCE" && c.LockMode != "COMPLIANCE" {
		errs = append(errs, fmt.Errorf("%s: %q is not GOVERNANCE or COMPLIANCE", EnvBackupLockMode, c.LockMode))
	}
	c.ThawTier = or(getenv(EnvBackupThawTier), "Standard")
	if c.ThawTier != "Standard" && c.ThawTier != "Bulk" && c.ThawTier != "Expedited" {
		errs = append(errs, fmt.Errorf("%s: %q is not Standard, Bulk or Expedited", EnvBackupThawTier, c.ThawTier))
	}
	c.S3ForcePathStyle = boolean(getenv, EnvS3ForcePathStyle, &errs)
	c.LogLevel = level(getenv, &errs)
	if len(errs) > 0 {
		return Backup{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}
