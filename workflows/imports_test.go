package workflows

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbiddenImports are what workflow code must never import: the store,
// its drivers, the Docker client, the backup writers and the cloud SDKs.
// A rule a workflow needs lives in internal/release; an effect, in an
// activity.
var forbiddenImports = []string{
	module + "/schema",
	module + "/internal/docker",
	module + "/internal/backup",
	"gorm" + ".io/",
	"github.com/docker/",
	"github.com/aws/",
	"github.com/jackc/",
	"modernc.org/",
}

// module is this repository's module path.
const module = "github.com/rivetr/rivetr"

func TestWorkflowsImportNoInfrastructure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbiddenImports {
				if path == bad || strings.HasPrefix(path, strings.TrimSuffix(bad, "/")+"/") {
					t.Errorf("%s imports %s: move the rule to internal/release or the effect to an activity", f, path)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no workflow files found")
	}
}
