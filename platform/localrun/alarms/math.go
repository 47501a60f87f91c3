package alarms

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The metric math of an alarm's expression queries, evaluated here because moto 5.2.1 only answers an
// expression that is another query's id. The subset the stacks' alarms use (webhealth's degraded alarm,
// IF(m >= 1 AND m < 2, 1, 0)): numbers, query ids, + - * /, comparisons, AND, OR, NOT, parentheses and
// IF(condition, value[, value]); a comparison or logical operator is 1 (true) or 0 (false), as in CloudWatch.

// mathExpr is a parsed expression; eval gives its value from the queries' values at one timestamp, or false
// when there is none there (an id without a value, a division by zero, IF's false branch left out).
type mathExpr interface {
	eval(vals map[string]float64) (float64, bool)
}

// maxMathExpr bounds an expression as CloudWatch does (an Expression is at most 2048 characters).
const maxMathExpr = 2048

// parseMath parses expr, naming the first token it cannot take.
func parseMath(expr string) (mathExpr, error) {
	if len(expr) > maxMathExpr {
		return nil, fmt.Errorf("metric math: expression of %d characters, more than %d", len(expr), maxMathExpr)
	}
	toks, err := lexMath(expr)
	if err != nil {
		return nil, err
	}
	p := &mathParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("metric math: unexpected %q in %q", p.toks[p.pos], expr)
	}
	return e, nil
}

func lexMath(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.ContainsRune("()+-*/,", c):
			toks = append(toks, string(c))
			i++
		case strings.ContainsRune("<>=!", c):
			if i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, s[i:i+2])
				i += 2
			} else if c == '<' || c == '>' {
				toks = append(toks, string(c))
				i++
			} else {
				return nil, fmt.Errorf("metric math: %q at %d is not an operator (==, !=, <, <=, >, >=)", c, i)
			}
		case c == '.' || (c >= '0' && c <= '9'):
			j := i
			for j < len(s) && (s[j] == '.' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		case c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			j := i
			for j < len(s) && (s[j] == '_' || (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("metric math: %q at %d is not part of an expression", c, i)
		}
	}
	return toks, nil
}

type mathParser struct {
	toks  []string
	pos   int
	depth int
}

// maxMathDepth bounds nesting, so a hostile expression cannot exhaust the stack.
const maxMathDepth = 64

func (p *mathParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *mathParser) next() string { t := p.peek(); p.pos++; return t }

func (p *mathParser) expect(tok string) error {
	if got := p.next(); got != tok {
		if got == "" {
			return fmt.Errorf("metric math: expected %q, got the end", tok)
		}
		return fmt.Errorf("metric math: expected %q, got %q", tok, got)
	}
	return nil
}

func (p *mathParser) binary(sub func() (mathExpr, error), ops ...string) (mathExpr, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if !slices.Contains(ops, strings.ToUpper(op)) {
			return l, nil
		}
		p.pos++
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: strings.ToUpper(op), l: l, r: r}
	}
}

func (p *mathParser) or() (mathExpr, error)  { return p.binary(p.and, "OR") }
func (p *mathParser) and() (mathExpr, error) { return p.binary(p.cmp, "AND") }
func (p *mathParser) cmp() (mathExpr, error) {
	return p.binary(p.add, "==", "!=", "<", "<=", ">", ">=")
}
func (p *mathParser) add() (mathExpr, error) { return p.binary(p.mul, "+", "-") }
func (p *mathParser) mul() (mathExpr, error) { return p.binary(p.unary, "*", "/") }

func (p *mathParser) unary() (mathExpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxMathDepth {
		return nil, fmt.Errorf("metric math: nested more than %d deep", maxMathDepth)
	}
	switch t := p.peek(); {
	case t == "-":
		p.pos++
		e, err := p.unary()
		return binExpr{op: "-", l: numExpr(0), r: e}, err
	case strings.EqualFold(t, "NOT"):
		p.pos++
		e, err := p.unary()
		return binExpr{op: "==", l: e, r: numExpr(0)}, err
	}
	return p.primary()
}

func (p *mathParser) primary() (mathExpr, error) {
	t := p.next()
	switch {
	case t == "":
		return nil, fmt.Errorf("metric math: expression ends early")
	case t == "(":
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	case t[0] == '.' || (t[0] >= '0' && t[0] <= '9'):
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return nil, fmt.Errorf("metric math: %q is not a number", t)
		}
		return numExpr(v), nil
	case strings.EqualFold(t, "IF") && p.peek() == "(":
		p.pos++
		args := []mathExpr{}
		for {
			a, err := p.or()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.peek() != "," {
				break
			}
			p.pos++
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if len(args) < 2 || len(args) > 3 {
			return nil, fmt.Errorf("metric math: IF takes 2 or 3 arguments, got %d", len(args))
		}
		return ifExpr(args), nil
	case t[0] == '_' || unicode.IsLetter(rune(t[0])):
		if p.peek() == "(" {
			return nil, fmt.Errorf("metric math: function %s is not supported here (IF only)", t)
		}
		return idExpr(t), nil
	}
	return nil, fmt.Errorf("metric math: unexpected %q", t)
}

type numExpr float64

func (n numExpr) eval(map[string]float64) (float64, bool) { return float64(n), true }

type idExpr string

func (id idExpr) eval(vals map[string]float64) (float64, bool) {
	v, ok := vals[string(id)]
	return v, ok
}

type binExpr struct {
	op   string
	l, r mathExpr
}

func truth(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (b binExpr) eval(vals map[string]float64) (float64, bool) {
	l, ok := b.l.eval(vals)
	if !ok {
		return 0, false
	}
	r, ok := b.r.eval(vals)
	if !ok {
		return 0, false
	}
	switch b.op {
	case "+":
		return l + r, true
	case "-":
		return l - r, true
	case "*":
		return l * r, true
	case "/":
		if r == 0 {
			return 0, false
		}
		return l / r, true
	case "==":
		return truth(l == r), true
	case "!=":
		return truth(l != r), true
	case "<":
		return truth(l < r), true
	case "<=":
		return truth(l <= r), true
	case ">":
		return truth(l > r), true
	case ">=":
		return truth(l >= r), true
	case "AND":
		return truth(l != 0 && r != 0), true
	case "OR":
		return truth(l != 0 || r != 0), true
	}
	return 0, false
}

type ifExpr []mathExpr

func (f ifExpr) eval(vals map[string]float64) (float64, bool) {
	c, ok := f[0].eval(vals)
	if !ok {
		return 0, false
	}
	if c != 0 {
		return f[1].eval(vals)
	}
	if len(f) == 3 {
		return f[2].eval(vals)
	}
	return 0, false
}
