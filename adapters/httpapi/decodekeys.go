package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/secuird/authy/domain/shared"
)

// maxNesting bounds how deep a request body may nest objects and arrays.
// No request needs more than a few levels, and the scan recurses per level.
const maxNesting = 64

// maxNamedKey bounds the bytes of a key path named in an error.
const maxNamedKey = 128

// scanKeys walks body as encoding/json tokens, following the type of dst,
// and refuses what encoding/json would silently accept in a way another
// parser (a gateway, a WAF, a second service) may read differently:
//   - a key twice in one object, at any depth (encoding/json keeps the last,
//     many parsers the first);
//   - a key of a struct that is not exactly one of its JSON names
//     (encoding/json matches {"EMAIL": …} to "email", and even
//     {"paſſword": …} to "password" by Unicode folding), which is reported as an unknown field.
//
// Keys are compared after unescaping, so "n\u0061me" is "name". It also
// checks that the body is a single JSON value and bounds its nesting.
// Type mismatches are left to the decode that follows.
func scanKeys(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	// Numbers stay text: a float64 would refuse 1e400 here, before the
	// decode can name the field whose type it does not fit.
	dec.UseNumber()
	s := keyScan{dec: dec}
	if err := s.value(reflect.TypeOf(dst)); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return shared.BadRequest("request.malformed_json", "the request body must be a single JSON object")
	}
	return nil
}

type keyScan struct {
	dec  *json.Decoder
	path []pathStep
}

// pathStep is one level of the path to the key being read: an object key
// or an array index.
type pathStep struct {
	key   string
	index int
	isKey bool
}

func (s *keyScan) value(t reflect.Type) error {
	tok, err := s.dec.Token()
	if err != nil {
		return malformedJSON()
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if len(s.path) >= maxNesting {
		return shared.BadRequest("request.nesting_too_deep",
			"the request body nests objects and arrays more than "+strconv.Itoa(maxNesting)+" levels deep")
	}
	t = target(t)
	switch d {
	case '{':
		return s.object(t)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; s.dec.More(); i++ {
			s.path = append(s.path, pathStep{index: i})
			if err := s.value(elem); err != nil {
				return err
			}
			s.path = s.path[:len(s.path)-1]
		}
		return s.closing()
	default:
		return malformedJSON()
	}
}

func (s *keyScan) object(t reflect.Type) error {
	var (
		fields   map[string]reflect.Type
		elem     reflect.Type
		intKeyed bool
	)
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = structFields(t)
	case t.Kind() == reflect.Map:
		elem = t.Elem()
		k := t.Key().Kind()
		intKeyed = k >= reflect.Int && k <= reflect.Uintptr &&
			!t.Key().Implements(textUnmarshalerType) && !reflect.PointerTo(t.Key()).Implements(textUnmarshalerType)
	}
	var small [16]string
	seen := small[:0]
	var many map[string]struct{}
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return malformedJSON()
		}
		key, ok := tok.(string)
		if !ok {
			return malformedJSON()
		}
		s.path = append(s.path, pathStep{key: key, isKey: true})
		// Integer map keys are compared as the numbers they become:
		// "1" and "01" land on one entry.
		same := key
		if intKeyed {
			if n, err := strconv.ParseInt(key, 10, 64); err == nil {
				same = strconv.FormatInt(n, 10)
			} else if n, err := strconv.ParseUint(key, 10, 64); err == nil {
				same = strconv.FormatUint(n, 10)
			}
		}
		// A few keys are compared in a stack array; a larger object moves
		// to a map, so a body of many keys costs linear time, not quadratic.
		if many == nil && len(seen) == len(small) {
			many = make(map[string]struct{}, 2*len(small))
			for _, k := range seen {
				many[k] = struct{}{}
			}
		}
		if many != nil {
			if _, dup := many[same]; dup {
				return s.duplicate()
			}
			many[same] = struct{}{}
		} else {
			for _, k := range seen {
				if k == same {
					return s.duplicate()
				}
			}
			seen = append(seen, same)
		}
		vt := elem
		if fields != nil {
			ft, known := fields[key]
			if !known {
				return s.unknown(fields)
			}
			vt = ft
		}
		if err := s.value(vt); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
	}
	return s.closing()
}

func (s *keyScan) closing() error {
	if _, err := s.dec.Token(); err != nil {
		return malformedJSON()
	}
	return nil
}

func (s *keyScan) duplicate() error {
	name := s.named()
	return shared.Invalid("request.duplicate_field", "the request has the field "+strconv.Quote(name)+" more than once",
		map[string][]string{name: {"appears more than once"}})
}

// unknown refuses the current key of a struct; when it differs only by
// case (or Unicode folding) from a known name, the detail says which.
func (s *keyScan) unknown(fields map[string]reflect.Type) error {
	name := s.named()
	detail := "is not a known field"
	key := s.path[len(s.path)-1].key
	for known := range fields {
		if strings.EqualFold(known, key) {
			detail = "is not a known field (names are case-sensitive: " + strconv.Quote(known) + ")"
			break
		}
	}
	return shared.Invalid("request.unknown_field", "the request has unknown fields",
		map[string][]string{name: {detail}})
}

// named renders the path to the current key ("members[2].role"), cut to
// maxNamedKey bytes.
func (s *keyScan) named() string {
	var b strings.Builder
	for i, p := range s.path {
		switch {
		case !p.isKey:
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
		case i > 0:
			b.WriteString("." + p.key)
		default:
			b.WriteString(p.key)
		}
	}
	name := b.String()
	if len(name) > maxNamedKey {
		cut := maxNamedKey
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return name
}

func malformedJSON() error {
	return shared.BadRequest("request.malformed_json", "the request body is not valid JSON")
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// target is the type a JSON value decodes into, pointers removed; nil when
// the value is free-form (an interface, or a type that parses itself), in
// which case only duplicate keys are checked below it.
func target(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// structFields maps the JSON names encoding/json decodes into t to their
// field types, following its rules: the tag's name or else the Go name,
// "-" skipped, unexported fields skipped, fields of untagged embedded
// structs promoted, and among equal names the shallowest (then the only
// tagged one) winning, an unresolved tie dropping them all.
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	type candidate struct {
		typ    reflect.Type
		depth  int
		tagged bool
		count  int
	}
	best := map[string]*candidate{}
	visited := map[reflect.Type]bool{}
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		if visited[t] {
			return
		}
		visited[t] = true
		defer delete(visited, t)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			ft := f.Type
			if f.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !f.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if !validTagName(name) {
				name = ""
			}
			if name == "" && f.Anonymous && ft.Kind() == reflect.Struct {
				walk(ft, depth+1)
				continue
			}
			tagged := name != ""
			if !tagged {
				name = f.Name
			}
			c := best[name]
			switch {
			case c == nil || depth < c.depth:
				best[name] = &candidate{typ: f.Type, depth: depth, tagged: tagged, count: 1}
			case depth == c.depth && tagged && !c.tagged:
				*c = candidate{typ: f.Type, depth: depth, tagged: true, count: 1}
			case depth == c.depth && tagged == c.tagged:
				c.count++
			}
		}
	}
	walk(t, 0)
	out := make(map[string]reflect.Type, len(best))
	for name, c := range best {
		if c.count == 1 {
			out[name] = c.typ
		}
	}
	m, _ := fieldCache.LoadOrStore(t, out)
	return m.(map[string]reflect.Type)
}

// validTagName is encoding/json's rule for a usable tag name.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
