package cmd

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"ecsctl/render"
)

// cliFlagNames is every long flag of every command, as "--name".
func cliFlagNames() map[string]bool {
	ios, _, _, _ := render.Test()
	app := (&app{io: ios}).newCLI()
	flags := map[string]bool{}
	add := func(fs []cli.Flag) {
		for _, f := range fs {
			for _, n := range f.Names() {
				if len(n) > 1 {
					flags["--"+n] = true
				}
			}
		}
	}
	add(app.Flags)
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			add(c.Flags)
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
	return flags
}

var flagToken = regexp.MustCompile(`--[a-z][a-z0-9-]*`)

// inAWSCommand: the flag at i is part of an `aws ...` command the message
// tells the operator to run (the AWS CLI's flags, not ecsctl's), i.e. an
// "aws " starts before it with no closing ) ' or ; in between.
func inAWSCommand(s string, i int) bool {
	j := strings.LastIndex(s[:i], "aws ")
	if j < 0 || (j > 0 && (s[j-1] >= 'a' && s[j-1] <= 'z')) {
		return false
	}
	return !strings.ContainsAny(s[j:i], ")';")
}

// opsFlagFindings lists, for the ops product code under root, every string
// literal that names an ecsctl flag (or formats one, "--%s"), and every
// option field asked for through Opt (or optname.Name, or a function that
// passes its parameter named field on to them) that cmd's table does not
// have. A field must be a literal, or that parameter passed on.
func opsFlagFindings(t *testing.T, root string, flags map[string]bool) []string {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		files = append(files, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Functions with a parameter named field pass an option's field on
	// (ParseTimeFlag): their callers' literals are checked too.
	fieldArg := map[string]int{}
	for _, f := range files {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok {
				i := 0
				for _, p := range fn.Type.Params.List {
					for _, n := range p.Names {
						if n.Name == "field" {
							fieldArg[fn.Name.Name] = i
						}
						i++
					}
				}
			}
		}
	}
	var out []string
	at := func(n ast.Node, msg string) { out = append(out, fset.Position(n.Pos()).String()+": "+msg) }
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					return true
				}
				for _, m := range flagToken.FindAllStringIndex(s, -1) {
					if flag := s[m[0]:m[1]]; flags[flag] && !inAWSCommand(s, m[0]) {
						at(n, "names the flag "+flag+": use ops.Opt(ctx, FIELD)")
					}
				}
				if strings.Contains(s, "--%") {
					at(n, "formats a flag name: use ops.Opt(ctx, FIELD)")
				}
			case *ast.CallExpr:
				idx, ok := optFieldArg(n.Fun, fieldArg)
				if !ok || idx >= len(n.Args) {
					return true
				}
				switch a := n.Args[idx].(type) {
				case *ast.Ident:
					if a.Name != "field" {
						at(n, "the option's field must be a string literal or the parameter field passed on")
					}
				case *ast.BasicLit:
					field, err := strconv.Unquote(a.Value)
					if _, known := optionFlags[field]; err != nil || !known {
						at(n, "option "+a.Value+" is not in cmd's optionFlags")
					}
				default:
					at(n, "the option's field must be a string literal or the parameter field passed on")
				}
			}
			return true
		})
	}
	sort.Strings(out)
	return out
}

// optFieldArg is the index of the field argument of a call to ops.Opt, Opt
// in package ops, optname.Name, or a function in fieldArg.
func optFieldArg(fun ast.Expr, fieldArg map[string]int) (int, bool) {
	switch f := fun.(type) {
	case *ast.Ident:
		if f.Name == "Opt" {
			return 1, true
		}
		i, ok := fieldArg[f.Name]
		return i, ok
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && ((x.Name == "ops" && f.Sel.Name == "Opt") || (x.Name == "optname" && f.Sel.Name == "Name")) {
			return 1, true
		}
		i, ok := fieldArg[f.Sel.Name]
		return i, ok
	}
	return 0, false
}

// TestOpsNamesNoFlags: flag names live in cmd only (issue 17). ops names an
// option by its request field and the front end supplies the words, so the
// dashboard, which has no flags, does not tell its user to pass one.
func TestOpsNamesNoFlags(t *testing.T) {
	flags := cliFlagNames()
	if !flags["--cluster"] || !flags["--timeout-per-batch"] {
		t.Fatalf("the CLI's flag list looks wrong: %d flags", len(flags))
	}
	for _, f := range opsFlagFindings(t, filepath.Join("..", "ops"), flags) {
		t.Error(f)
	}
}

// TestOptionFlagsAreFlags: every name in cmd's table is a flag of the CLI.
func TestOptionFlagsAreFlags(t *testing.T) {
	flags := cliFlagNames()
	for field, flag := range optionFlags {
		if !flags[flag] {
			t.Errorf("optionFlags[%q] = %q, which no command has", field, flag)
		}
	}
}

// TestOpsFlagCheckFinds: the check sees a flag in a literal, leaves an AWS
// CLI command alone, and catches an option missing from the table.
func TestOpsFlagCheckFinds(t *testing.T) {
	dir := t.TempDir()
	src := `package x

func f(ctx any) {
	_ = "invalid --batch 0: want 1 to 50"
	_ = "resume it (aws autoscaling resume-processes --auto-scaling-group-name g --force)"
	_ = "(aws ecs list-task-definitions --family-prefix F), or pass --force"
	_ = Opt(ctx, "NoSuchOption")
	_ = Opt(ctx, "Batch")
	_ = fmt.Sprintf("invalid --%s", "x")
	_ = parseTime(ctx, "NoSuchTime", "")
}

func parseTime(ctx any, field, s string) string { return Opt(ctx, field) }
`
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(opsFlagFindings(t, dir, cliFlagNames()), "\n")
	for _, want := range []string{"names the flag --batch", "names the flag --force", `option "NoSuchOption"`, "formats a flag name", `option "NoSuchTime"`} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n") + 1; n != 5 {
		t.Errorf("want 5 findings, got %d:\n%s", n, got)
	}
}
