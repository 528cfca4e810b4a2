package diagram

import (
	"errors"
	"fmt"
)

// The domain's errors. The HTTP edge maps each to a status in one table;
// packages wrap them with detail (fmt.Errorf("...: %w", ErrX)).
var (
	ErrUnknownType       = errors.New("diagram: unknown type")
	ErrUnsupportedFormat = errors.New("diagram: unsupported format")
	ErrDisabledType      = errors.New("diagram: type disabled")
	ErrEmptySource       = errors.New("diagram: empty source")
	ErrBadEncoding       = errors.New("diagram: bad encoding")
	ErrBadOptions        = errors.New("diagram: bad options")
	ErrBadRequest        = errors.New("diagram: bad request")
	ErrTooLarge          = errors.New("diagram: too large")
	ErrOutputTooLarge    = errors.New("diagram: output too large")
	ErrNotFound          = errors.New("diagram: not found")
	ErrUnavailable       = errors.New("diagram: renderer unavailable")
	ErrTimeout           = errors.New("diagram: render timed out")
)

// SyntaxError is a renderer's verdict that the diagram itself is wrong: the
// engine's message and, where the message names one, the failing line.
type SyntaxError struct {
	Status  int // the renderer's 4xx status
	Message string
	Line    int // 1-based; 0 when unknown
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("diagram: syntax error on line %d: %s", e.Line, e.Message)
	}
	return "diagram: syntax error: " + e.Message
}
