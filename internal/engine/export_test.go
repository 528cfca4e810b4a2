package engine

// PipeSource exposes pipeSource to the external tests.
var PipeSource = pipeSource
