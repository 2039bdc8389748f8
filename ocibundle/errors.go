package ocibundle

import "errors"

// Why a store's content is refused.
var (
	ErrNotBundle      = errors.New("not a rambox boot bundle")
	ErrTagNotAllowed  = errors.New("ref has no digest")
	ErrTagMoved       = errors.New("tag points at another digest than the ref pins")
	ErrMissingLayer   = errors.New("bundle lacks a layer")
	ErrUnexpectedType = errors.New("unexpected media type")
	ErrDuplicateLayer = errors.New("bundle has this layer twice")
	ErrInfoMismatch   = errors.New("layer differs from bundle.json")
)

// Why an index is refused, or a bundle for the platform asked.
var (
	ErrNoPlatform        = errors.New("index has no manifest for platform")
	ErrDuplicatePlatform = errors.New("index lists the platform twice")
	ErrWrongArch         = errors.New("bundle is of another architecture than asked")
)
