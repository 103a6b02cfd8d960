package cli

import (
	"encoding"
	"encoding/json"
	"io"
	"reflect"
)

// printJSON writes v as indented JSON: the `--json` convention prints the
// whole result object with stable field names, as schemas/cli/v1
// describes it. Lists are always JSON arrays and maps always objects,
// never null (see withEmptyLists).
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(withEmptyLists(v))
}

// withEmptyLists returns a copy of v in which every nil slice is an empty
// slice and every nil map an empty map, so that a script can iterate any
// list of a --json output without a null check, and the schemas can say
// "array". Go leaves a slice nil until something is appended, and the
// results decoded from Temporal (cycle status, results) carry whatever
// nil the workflow had, so this is done once, here, rather than at every
// place a list is built. Nil pointers stay null: there null means "not
// set" (no window, no rollout). Values with their own JSON encoding
// (times, policy durations, ref sets) and byte slices are left as they
// are.
func withEmptyLists(v any) any {
	if v == nil {
		return nil
	}
	return emptyLists(reflect.ValueOf(v)).Interface()
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// encodesItself reports whether t (or *t) marshals itself, so its nil
// value may mean something of its own.
func encodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) ||
		p.Implements(jsonMarshalerType) || p.Implements(textMarshalerType)
}

// emptyLists copies v, replacing nil slices and maps with empty ones at
// every depth. The types printed here hold no pointer cycles.
func emptyLists(v reflect.Value) reflect.Value {
	t := v.Type()
	if encodesItself(t) {
		return v
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(emptyLists(v.Elem()))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(t).Elem()
		out.Set(emptyLists(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		out.Set(v) // unexported fields keep their values
		for i := range t.NumField() {
			if f := out.Field(i); f.CanSet() {
				f.Set(emptyLists(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return v // []byte is a base64 string in JSON
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(emptyLists(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(t).Elem()
		for i := range v.Len() {
			out.Index(i).Set(emptyLists(v.Index(i)))
		}
		return out
	case reflect.Map:
		out := reflect.MakeMapWithSize(t, v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), emptyLists(it.Value()))
		}
		return out
	}
	return v
}
