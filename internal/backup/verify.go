package backup

import (
	"context"

	"github.com/umlimages/umlimages/internal/cache"
	"golang.org/x/sync/errgroup"
)

// Problem is one object that failed verification.
type Problem struct {
	Key      string `json:"key"`
	Location string `json:"location"`
	Reason   string `json:"reason"` // missing, corrupt, unreadable: …
}

// VerifyReport is what verify found. Archived copies cannot be read
// without a thaw: they are counted, not checked.
type VerifyReport struct {
	Run      string    `json:"run"`
	Checked  int       `json:"checked"`
	Archived int       `json:"archived,omitempty"`
	Bytes    int64     `json:"bytes"`
	Problems []Problem `json:"problems,omitempty"`
}

// Verify reads back every object of the point in time of run (empty: the
// newest) and checks it against its recorded SHA-256.
func (b *Backup) Verify(ctx context.Context, run string) (VerifyReport, error) {
	st, run, err := b.State(ctx, run)
	if err != nil {
		return VerifyReport{}, err
	}
	keys := st.Keys()
	problems := make([]*Problem, len(keys))
	archived := make([]bool, len(keys))
	total, err := b.each(ctx, "verify "+run, st, keys, func(ctx context.Context, i int, e Entry) error {
		sum, err := b.hash(ctx, b.dst, b.dstBucket, e.Location)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case IsArchived(err):
			archived[i] = true
		case cache.IsNotFound(err):
			problems[i] = &Problem{Key: e.Key, Location: e.Location, Reason: "missing"}
		case err != nil:
			problems[i] = &Problem{Key: e.Key, Location: e.Location, Reason: "unreadable: " + err.Error()}
		case sum != e.SHA256:
			problems[i] = &Problem{Key: e.Key, Location: e.Location, Reason: "corrupt"}
		}
		return nil
	})
	if err != nil {
		return VerifyReport{}, err
	}
	rep := VerifyReport{Run: run, Bytes: total}
	for i, p := range problems {
		switch {
		case archived[i]:
			rep.Archived++
		case p != nil:
			rep.Problems = append(rep.Problems, *p)
			rep.Checked++
		default:
			rep.Checked++
		}
	}
	return rep, nil
}

// each runs fn for every entry of st (in the order of keys), at most
// Concurrency at once, reporting progress as what; it returns the
// entries' total size. The first error stops the rest.
func (b *Backup) each(ctx context.Context, what string, st State, keys []string, fn func(ctx context.Context, i int, e Entry) error) (int64, error) {
	var total int64
	for _, k := range keys {
		total += st[k].Size
	}
	b.o.Progress.Start(what, len(keys), total)
	defer b.o.Progress.Done()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.o.Concurrency)
	for i, k := range keys {
		e := st[k]
		g.Go(func() error {
			if err := fn(gctx, i, e); err != nil {
				return err
			}
			b.o.Progress.Add(1, e.Size)
			return nil
		})
	}
	return total, g.Wait()
}

// State is the source bucket as of run (empty: the newest run), and the
// run's id.
func (b *Backup) State(ctx context.Context, run string) (State, string, error) {
	ms, err := b.manifests(ctx)
	if err != nil {
		return nil, "", err
	}
	c, err := chain(ms, run)
	if err != nil {
		return nil, "", err
	}
	return compose(c, nil), c[len(c)-1].Run, nil
}
