package rootfs_test

import (
	"path"
	"regexp"
	"sort"
	"strings"
)

// This file is a pragmatic reader of the rootfs's shell scripts: enough of
// the POSIX shell grammar to find the word that names the command of each
// simple command (at the start of a line, after ; & | && || ( { and the
// reserved words, inside $( ) and ` `), so that applets_test.go can check
// that busybox has every command the scripts run. It is not a shell parser:
// here-documents and aliases are not understood, and a command whose name
// is an expansion ("$2" args) is not a command it can name.

// call is one command a script runs, and the line it is on.
type call struct {
	Name string
	Line int
}

// scriptCommands returns the commands src runs, in order, and the names of
// the functions it defines (which are not commands busybox must have).
func scriptCommands(src string) (calls []call, funcs []string) {
	toks := lexShell(src, 1, &calls)
	p := parser{vars: map[string]string{}}
	p.parse(toks)
	// Substitutions are read as they are lexed, before the parse: put
	// every call back in the order of the lines.
	calls = append(calls, p.calls...)
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].Line < calls[j].Line })
	return calls, p.funcs
}

type tokKind int

const (
	tokWord  tokKind = iota
	tokOp            // ; ;; & && | || ( ) and newline, as "\n"
	tokRedir         // < > >> <& >& <<, with an fd number before it
)

type token struct {
	kind tokKind
	text string // the word as written, or the operator
	// lit is the word with its quotes removed, when it has no expansion
	// in it; dyn says it has one (a name then is not known).
	lit  string
	dyn  bool
	line int
}

// lexShell splits src into tokens. The commands inside command
// substitutions are read at once, recursively, and appended to calls.
func lexShell(src string, line int, calls *[]call) []token {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i += 2
			line++
		case c == ' ' || c == '\t':
			i++
		case c == '\n':
			toks = append(toks, token{kind: tokOp, text: "\n", line: line})
			i++
			line++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.IndexByte(";&|()", c) >= 0:
			op := string(c)
			if i+1 < len(src) && strings.Contains(";;&&||", string(c)+string(src[i+1])) && c == src[i+1] {
				op += string(c)
			}
			toks = append(toks, token{kind: tokOp, text: op, line: line})
			i += len(op)
		case c == '<' || c == '>':
			j := i + 1
			if j < len(src) && (src[j] == '>' || src[j] == '&' || src[j] == '<') {
				j++
			}
			toks = append(toks, token{kind: tokRedir, text: src[i:j], line: line})
			i = j
		default:
			t, n, nl := lexWord(src[i:], line, calls)
			// An fd number right before a redirection belongs to it: 2>/dev/null.
			if n < len(src)-i && (src[i+n] == '<' || src[i+n] == '>') && isDigits(t.text) {
				i += n
				continue
			}
			toks = append(toks, t)
			i += n
			line += nl
		}
	}
	return toks
}

// lexWord reads one word from the start of s; it returns the token, the
// bytes it took and the newlines in them.
func lexWord(s string, line int, calls *[]call) (token, int, int) {
	var lit strings.Builder
	dyn := false
	nl := 0
	i := 0
	for i < len(s) {
		c := s[i]
		if strings.IndexByte(" \t\n;&|()<>", c) >= 0 {
			break
		}
		switch c {
		case '\\':
			if i+1 < len(s) {
				lit.WriteByte(s[i+1])
				i += 2
				continue
			}
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			lit.WriteString(s[i+1 : i+1+j])
			nl += strings.Count(s[i+1:i+1+j], "\n")
			i += j + 2
			continue
		case '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				switch {
				case s[j] == '\\' && j+1 < len(s):
					lit.WriteByte(s[j+1])
					j += 2
				case s[j] == '$' || s[j] == '`':
					n := expansion(s[j:], line+nl, calls)
					nl += strings.Count(s[j:j+n], "\n")
					dyn = true
					j += n
				default:
					if s[j] == '\n' {
						nl++
					}
					lit.WriteByte(s[j])
					j++
				}
			}
			i = j + 1
			continue
		case '$', '`':
			n := expansion(s[i:], line+nl, calls)
			nl += strings.Count(s[i:i+n], "\n")
			dyn = true
			i += n
			continue
		}
		lit.WriteByte(c)
		i++
	}
	if i > len(s) {
		i = len(s)
	}
	return token{kind: tokWord, text: s[:i], lit: lit.String(), dyn: dyn, line: line}, i, nl
}

// expansion measures the expansion at the start of s ($name, ${...},
// $((...)), $(...) or `...`) and reads the commands of a command
// substitution into calls.
func expansion(s string, line int, calls *[]call) int {
	switch {
	case strings.HasPrefix(s, "$(("):
		return 3 + matching(s[3:], '(', ')') + 1
	case strings.HasPrefix(s, "$("):
		n := matching(s[2:], '(', ')')
		inner, _ := scriptCommandsAt(s[2:2+n], line)
		*calls = append(*calls, inner...)
		return 2 + n + 1
	case strings.HasPrefix(s, "${"):
		return 2 + matching(s[2:], '{', '}') + 1
	case s[0] == '`':
		j := strings.IndexByte(s[1:], '`')
		if j < 0 {
			j = len(s) - 1
		}
		inner, _ := scriptCommandsAt(s[1:1+j], line)
		*calls = append(*calls, inner...)
		return j + 2
	}
	n := 1
	if n < len(s) && strings.IndexByte("@*#?$!-0123456789", s[n]) >= 0 {
		return 2
	}
	for n < len(s) && (s[n] == '_' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return n
}

func scriptCommandsAt(src string, line int) ([]call, []string) {
	var calls []call
	toks := lexShell(src, line, &calls)
	p := parser{vars: map[string]string{}}
	p.parse(toks)
	return append(calls, p.calls...), p.funcs
}

// matching returns the index in s of the close that ends a group whose
// open came just before s, skipping quoted text.
func matching(s string, open, close byte) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
				i += j + 1
			}
		case open:
			depth++
		case close:
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return len(s)
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// parser walks the tokens of one script and collects its calls.
type parser struct {
	calls []call
	funcs []string
	vars  map[string]string // NAME=literal assignments, to see through $bb
}

func (p *parser) parse(toks []token) {
	atCmd := true // the next word names a command
	wrapper := "" // exec, command or busybox: the next word is the command
	skipWord := false
	inFor := false
	caseDepth := 0
	caseSubject := false // between case and in
	inPattern := false   // a case item's patterns, up to )
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if inPattern {
			switch {
			case t.kind == tokWord && t.lit == "esac" && !t.dyn:
				caseDepth--
				inPattern = false
				atCmd = false
			case t.kind == tokOp && t.text == ")":
				inPattern = false
				atCmd = true
			}
			continue
		}
		if inFor {
			if t.kind == tokWord && t.lit == "do" {
				inFor = false
				atCmd = true
			}
			continue
		}
		switch t.kind {
		case tokRedir:
			skipWord = true
			continue
		case tokOp:
			switch t.text {
			case ";;":
				if caseDepth > 0 {
					inPattern = true
				}
			case ")":
				atCmd = false
			default:
				atCmd = true
			}
			wrapper = ""
			continue
		}
		if skipWord {
			skipWord = false
			continue
		}
		if caseSubject {
			if t.lit == "in" {
				caseSubject = false
				inPattern = true
			}
			continue
		}
		if !atCmd {
			continue
		}
		if wrapper != "" && strings.HasPrefix(t.lit, "-") {
			// command -v NAME, exec -a, busybox --install: not a call.
			atCmd, wrapper = false, ""
			continue
		}
		if m := assignment.FindString(t.text); m != "" && wrapper == "" {
			name := strings.TrimSuffix(m, "=")
			if t.dyn {
				delete(p.vars, name)
			} else {
				p.vars[name] = strings.TrimPrefix(t.lit, name+"=")
			}
			continue
		}
		if wrapper == "" && !t.dyn {
			switch t.lit {
			case "if", "then", "else", "elif", "do", "while", "until", "!", "{":
				continue
			case "fi", "done", "}":
				atCmd = false
				continue
			case "case":
				caseDepth++
				caseSubject = true
				atCmd = false
				continue
			case "for":
				inFor = true
				continue
			}
		}
		name, known := p.commandName(t)
		if !known {
			atCmd, wrapper = false, ""
			continue
		}
		if wrapper == "" && i+2 < len(toks) && toks[i+1].text == "(" && toks[i+2].text == ")" {
			p.funcs = append(p.funcs, name)
			i += 2
			atCmd = true // the body follows
			continue
		}
		switch {
		case name == "exec" || name == "command" || name == "busybox":
			p.calls = append(p.calls, call{name, t.line})
			wrapper = name
		default:
			p.calls = append(p.calls, call{name, t.line})
			atCmd, wrapper = false, ""
		}
	}
}

// commandName is the command a word names: its base name (/bin/sh is
// sh), seen through a variable that holds a literal path ($bb when
// bb=/bin/busybox); an expansion it cannot resolve names nothing.
func (p *parser) commandName(t token) (string, bool) {
	if !t.dyn {
		return path.Base(t.lit), t.lit != ""
	}
	v := strings.Trim(t.text, `"{}`)
	v = strings.TrimPrefix(v, "$")
	v = strings.Trim(v, "{}")
	if val, ok := p.vars[v]; ok && val != "" {
		return path.Base(val), true
	}
	return "", false
}
