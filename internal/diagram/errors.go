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
	ErrExists            = errors.New("diagram: already exists")
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

// Error is a domain error carrying the message a client should read; it
// matches its Kind under errors.Is.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// Errorf makes an *Error of kind with a formatted message.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}
