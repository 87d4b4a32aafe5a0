package examples

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// marker introduces a README code block that must be the named file:
// <!-- example: examples/curl.sh --> on the line before the block.
var marker = regexp.MustCompile("(?m)^<!-- example: (\\S+) -->\n```[a-z]*\n")

// checkBlocks returns what is wrong with the blocks after markers in
// readme: a marker without a block, a block that is not exactly its file
// (read with read, by its path from the repository's root), and the
// examples that have no marker although others have one. It returns the
// files it compared.
func checkBlocks(readme string, read func(string) ([]byte, error)) (compared, problems []string) {
	for _, m := range marker.FindAllStringSubmatchIndex(readme, -1) {
		path := readme[m[2]:m[3]]
		rest := readme[m[1]:]
		end := strings.Index(rest, "\n```\n")
		if end < 0 && strings.HasSuffix(rest, "\n```") {
			end = len(rest) - 4
		}
		if end < 0 {
			problems = append(problems, fmt.Sprintf("%s: the code block after its marker does not end", path))
			continue
		}
		want, err := read(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		if block := rest[:end+1]; block != string(want) {
			problems = append(problems, fmt.Sprintf("%s: the README's block differs from the file; paste the file again", path))
		}
		compared = append(compared, path)
	}
	if len(compared) > 0 {
		for _, s := range scripts {
			if path := "examples/" + s.argv[1]; !slices.Contains(compared, path) {
				problems = append(problems, fmt.Sprintf("%s has no block with the marker <!-- example: %s -->", path, path))
			}
		}
	}
	return compared, problems
}

// TestReadmeBlocks: the README's example blocks that carry a marker are
// exactly the files that TestExamples runs.
func TestReadmeBlocks(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	read := func(path string) ([]byte, error) { return os.ReadFile(filepath.Join("..", path)) }
	compared, problems := checkBlocks(string(readme), read)
	if len(problems) > 0 {
		t.Fatalf("README.md:\n%s", strings.Join(problems, "\n"))
	}
	t.Logf("README blocks compared with their files: %q", compared)
}

// TestCheckBlocks: the checker finds a block that is its file, one that
// differs, one that does not end, and examples left out.
func TestCheckBlocks(t *testing.T) {
	files := map[string]string{"examples/curl.sh": "echo hi\n", "examples/signin.py": "print(1)\n", "examples/signin.mjs": "x\n"}
	read := func(path string) ([]byte, error) {
		if f, ok := files[path]; ok {
			return []byte(f), nil
		}
		return nil, os.ErrNotExist
	}
	for _, c := range []struct {
		name, readme string
		compared     []string
		problems     []string
	}{
		{"no markers", "# Title\n```sh\necho hi\n```\n", nil, nil},
		{"all equal", "<!-- example: examples/curl.sh -->\n```bash\necho hi\n```\n\n<!-- example: examples/signin.py -->\n```python\nprint(1)\n```\n" +
			"<!-- example: examples/signin.mjs -->\n```js\nx\n```", []string{"examples/curl.sh", "examples/signin.py", "examples/signin.mjs"}, nil},
		{"one differs, two missing", "<!-- example: examples/curl.sh -->\n```bash\necho hello\n```\n", []string{"examples/curl.sh"}, []string{
			"examples/curl.sh: the README's block differs from the file; paste the file again",
			"examples/signin.py has no block with the marker <!-- example: examples/signin.py -->",
			"examples/signin.mjs has no block with the marker <!-- example: examples/signin.mjs -->"}},
		{"unended", "<!-- example: examples/curl.sh -->\n```bash\necho hi\n", nil, []string{"examples/curl.sh: the code block after its marker does not end"}},
		{"unknown file", "<!-- example: examples/gone.sh -->\n```bash\necho hi\n```\n", nil, []string{"examples/gone.sh: file does not exist"}},
	} {
		compared, problems := checkBlocks(c.readme, read)
		if !slices.Equal(compared, c.compared) || !slices.Equal(problems, c.problems) {
			t.Errorf("%s: compared %q, problems %q\nwant %q, %q", c.name, compared, problems, c.compared, c.problems)
		}
	}
}
