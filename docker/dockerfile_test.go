package docker

// No Docker engine runs where the tests run, so the image is checked by reading what
// builds it: the versions it installs are scripts/versions.env's, which agree with go.mod
// and go-xla's source; neither the Dockerfile, its scripts nor setup.sh writes a version
// of its own; every file it copies exists and is not left out by .dockerignore; every
// script it runs exists, is executable and passes shellcheck.

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

const root = ".." // The repository root, from this package's directory.

// versionsLine is the one line format scripts/versions.env may use, so that bash (which
// sources it), the Dockerfile's scripts and this test all read the same values.
var versionsLine = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=("[^"$` + "`" + `\\]*"|[^\s"'$` + "`" + `\\#]*)$`)

func readVersions(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "scripts", "versions.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	versions := map[string]string{}
	lines := bufio.NewScanner(f)
	for n := 1; lines.Scan(); n++ {
		line := lines.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := versionsLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("scripts/versions.env:%d: %q is not KEY=value or KEY=\"value\" (no expansions, no trailing comments)", n, line)
		}
		versions[m[1]] = strings.Trim(m[2], `"`)
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"GO_VERSION", "GONB_VERSION", "X_TOOLS_VERSION", "GOPLS_VERSION", "GO_XLA_VERSION",
		"PJRT_CPU_VERSION", "PJRT_CUDA_JAX_VERSION", "DEBIAN_IMAGE", "JUPYTERLAB_VERSION", "APT_PACKAGES"} {
		if versions[key] == "" {
			t.Errorf("scripts/versions.env does not set %s", key)
		}
	}
	return versions
}

func readModFile(t *testing.T, path string) *modfile.File {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(path, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func required(f *modfile.File, path string) string {
	for _, r := range f.Require {
		if r.Mod.Path == path {
			return r.Mod.Version
		}
	}
	return ""
}

// goToolchain is the toolchain a go.mod selects: its toolchain line, else its go line.
func goToolchain(f *modfile.File) string {
	if f.Toolchain != nil {
		return f.Toolchain.Name
	}
	if f.Go == nil {
		return ""
	}
	return "go" + f.Go.Version
}

func TestVersionsMatchGoMod(t *testing.T) {
	v := readVersions(t)
	gomod := readModFile(t, filepath.Join(root, "go.mod"))
	if got := goToolchain(gomod); v["GO_VERSION"] != got {
		t.Errorf("scripts/versions.env: GO_VERSION=%s, but go.mod selects %s", v["GO_VERSION"], got)
	}
	for key, mod := range map[string]string{"GO_XLA_VERSION": "github.com/gomlx/go-xla", "GONB_VERSION": "github.com/janpfeifer/gonb"} {
		if got := required(gomod, mod); v[key] != got {
			t.Errorf("scripts/versions.env: %s=%s, but go.mod requires %s %s", key, v[key], mod, got)
		}
	}

	// docker/install-pjrt is a module of its own: the same Go and the same go-xla, byte for
	// byte (go.sum's hash).
	installer := readModFile(t, filepath.Join("install-pjrt", "go.mod"))
	if got := goToolchain(installer); got != v["GO_VERSION"] {
		t.Errorf("docker/install-pjrt/go.mod selects %s, expected GO_VERSION=%s", got, v["GO_VERSION"])
	}
	if got := required(installer, "github.com/gomlx/go-xla"); got != v["GO_XLA_VERSION"] {
		t.Errorf("docker/install-pjrt/go.mod requires go-xla %s, expected GO_XLA_VERSION=%s (go.mod's)", got, v["GO_XLA_VERSION"])
	}
	sumLine := "github.com/gomlx/go-xla " + v["GO_XLA_VERSION"] + " h1:"
	rootSum, installerSum := readSum(t, filepath.Join(root, "go.sum"), sumLine), readSum(t, filepath.Join("install-pjrt", "go.sum"), sumLine)
	if rootSum == "" || rootSum != installerSum {
		t.Errorf("go-xla's go.sum hash: %q in go.sum, %q in docker/install-pjrt/go.sum", rootSum, installerSum)
	}
}

func readSum(t *testing.T, path, prefix string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// The CPU plugin the image installs is the one go-xla was tested with (and the one its
// auto-installer picks): internal/utils.DefaultCPUVersion in go-xla's source.
func TestPJRTCPUVersionIsGoXLAs(t *testing.T) {
	v := readVersions(t)
	modCache := goEnv(t, "GOMODCACHE")
	escaped, err := module.EscapePath("github.com/gomlx/go-xla")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(modCache, filepath.FromSlash(escaped)+"@"+v["GO_XLA_VERSION"], "internal", "utils", "utils.go")
	raw, err := os.ReadFile(path)
	if err != nil {
		needs(t, "go-xla's source in the module cache (go mod download)", err)
		return
	}
	m := regexp.MustCompile(`DefaultCPUVersion = "([^"]+)"`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s: no DefaultCPUVersion", path)
	}
	if string(m[1]) != v["PJRT_CPU_VERSION"] {
		t.Errorf("scripts/versions.env: PJRT_CPU_VERSION=%s, but go-xla %s was tested with %s (%s)", v["PJRT_CPU_VERSION"], v["GO_XLA_VERSION"], m[1], path)
	}
}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string   // Upper case: FROM, RUN, COPY...
	args []string // Whitespace separated.
	raw  string
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	start := 0
	for n, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = n + 1
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		fields := strings.Fields(cur.String())
		out = append(out, instruction{line: start, cmd: strings.ToUpper(fields[0]), args: fields[1:], raw: cur.String()})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends inside a continued instruction (line %d)", start)
	}
	return out
}

func TestDockerfileCopiesExistingFiles(t *testing.T) {
	ignored := readDockerignore(t)
	copies := 0
	for _, in := range readDockerfile(t) {
		if in.cmd != "COPY" && in.cmd != "ADD" {
			continue
		}
		var paths []string
		fromStage := false
		for _, a := range in.args {
			switch {
			case strings.HasPrefix(a, "--from="):
				fromStage = true
			case strings.HasPrefix(a, "--"):
			default:
				paths = append(paths, a)
			}
		}
		if fromStage {
			continue
		}
		if len(paths) < 2 {
			t.Errorf("Dockerfile:%d: %s needs a source and a destination: %s", in.line, in.cmd, in.raw)
			continue
		}
		for _, src := range paths[:len(paths)-1] {
			copies++
			matches, err := filepath.Glob(filepath.Join(root, src))
			if err != nil || len(matches) == 0 {
				t.Errorf("Dockerfile:%d: %s %s: no such file in the repository", in.line, in.cmd, src)
				continue
			}
			if pattern := ignoredBy(ignored, filepath.Clean(src)); pattern != "" {
				t.Errorf("Dockerfile:%d: %s %s, but .dockerignore leaves it out (%q)", in.line, in.cmd, src, pattern)
			}
		}
	}
	if copies == 0 {
		t.Error("the Dockerfile copies nothing")
	}
}

func readDockerignore(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for line := range strings.Lines(string(raw)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	return patterns
}

// ignoredBy returns the .dockerignore pattern that excludes path or one of its parents.
func ignoredBy(patterns []string, path string) string {
	if path == "." {
		return ""
	}
	for p := path; p != "." && p != "/"; p = filepath.Dir(p) {
		for _, pattern := range patterns {
			if ok, _ := filepath.Match(strings.TrimPrefix(pattern, "**/"), filepath.Base(p)); ok && strings.HasPrefix(pattern, "**/") {
				return pattern
			}
			if ok, _ := filepath.Match(pattern, p); ok {
				return pattern
			}
		}
	}
	return ""
}

func TestDockerfileTakesItsVersionsFromVersionsEnv(t *testing.T) {
	v := readVersions(t)
	instructions := readDockerfile(t)
	args := map[string]string{}
	var from []string
	lastUser, cmd := "root", ""
	for _, in := range instructions {
		switch in.cmd {
		case "ARG":
			name, value, _ := strings.Cut(in.args[0], "=")
			args[name] = strings.Trim(value, `"`)
		case "FROM":
			from = append(from, in.args[0])
		case "USER":
			lastUser = in.args[0]
		case "CMD":
			cmd = in.raw
		}
	}
	if len(from) != 1 || from[0] != "${DEBIAN_IMAGE}" || args["DEBIAN_IMAGE"] != v["DEBIAN_IMAGE"] {
		t.Errorf("Dockerfile: FROM %v with ARG DEBIAN_IMAGE=%q, expected FROM ${DEBIAN_IMAGE} and DEBIAN_IMAGE=%s (scripts/versions.env)", from, args["DEBIAN_IMAGE"], v["DEBIAN_IMAGE"])
	}
	if _, ok := args["PJRT_CUDA"]; !ok || args["PJRT_CUDA"] != "" {
		t.Errorf("Dockerfile: expected ARG PJRT_CUDA=\"\" (CPU only unless the build asks for CUDA), got %q", args["PJRT_CUDA"])
	}
	if lastUser == "root" || lastUser == "0" {
		t.Error("Dockerfile: the image runs as root; expected USER ${NB_USER} last")
	}
	if !strings.Contains(cmd, "jupyter") || !strings.Contains(cmd, "lab") || !strings.Contains(cmd, "--ServerApp.root_dir=/home/vaekit/vaekit/notebooks") {
		t.Errorf("Dockerfile: CMD %q: expected JupyterLab opening on the notebooks directory", cmd)
	}
	if args["NB_USER"] != "vaekit" {
		t.Errorf("Dockerfile: NB_USER=%q, but CMD names /home/vaekit", args["NB_USER"])
	}
	notebooks, _ := filepath.Glob(filepath.Join(root, "notebooks", "*.ipynb"))
	if len(notebooks) == 0 {
		t.Error("no notebooks/*.ipynb for the image to open on")
	}

	// No file that builds the image or sets up a machine writes a version itself: each
	// value of versions.env appears only there (setup.sh and the image scripts source it).
	files := append([]string{filepath.Join(root, "scripts", "setup.sh"), "Dockerfile"}, glob(t, "*.sh")...)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for key, value := range v {
			// (The Dockerfile's ARG DEBIAN_IMAGE default, checked above, is the exception:
			// FROM cannot read a file.)
			if strings.HasSuffix(key, "_VERSION") || (key == "DEBIAN_IMAGE" && file != "Dockerfile") {
				if strings.Contains(string(raw), value) {
					t.Errorf("%s writes %s's value %q itself: take it from scripts/versions.env", file, key, value)
				}
			}
		}
		if file != "Dockerfile" && !strings.Contains(string(raw), "versions.env") && !strings.Contains(string(raw), "scripts/setup.sh") && !strings.Contains(string(raw), "scripts/env.sh") {
			t.Errorf("%s neither reads scripts/versions.env nor runs setup.sh", file)
		}
	}
}

// Every script a RUN step names exists in docker/ or scripts/ and is executable.
func TestDockerfileRunsScriptsOfTheRepository(t *testing.T) {
	script := regexp.MustCompile(`(?:^|[\s/])((?:docker|scripts|vaekit-build)/[\w.-]+\.sh)\b`)
	runs := 0
	for _, in := range readDockerfile(t) {
		if in.cmd != "RUN" {
			continue
		}
		m := script.FindAllStringSubmatch(in.raw, -1)
		if m == nil {
			t.Errorf("Dockerfile:%d: RUN %s: run a script of docker/ (so shellcheck checks it)", in.line, strings.Join(in.args, " "))
		}
		for _, s := range m {
			runs++
			path := filepath.Join(root, strings.Replace(s[1], "vaekit-build/", "docker/", 1))
			info, err := os.Stat(path)
			if err != nil {
				t.Errorf("Dockerfile:%d runs %s: %v", in.line, s[1], err)
			} else if info.Mode()&0o111 == 0 {
				t.Errorf("Dockerfile:%d runs %s, which is not executable", in.line, path)
			}
		}
	}
	if runs == 0 {
		t.Error("the Dockerfile runs no script")
	}
}

// The shell scripts (the repository's and the image's) pass shellcheck (which
// scripts/setup.sh installs).
func TestShellcheck(t *testing.T) {
	bin, err := exec.LookPath("shellcheck")
	if err != nil {
		needs(t, "shellcheck (apt-get install shellcheck)", err)
		return
	}
	var files []string
	for _, f := range append(glob(t, filepath.Join(root, "scripts", "*.sh")), filepath.Join(root, "scripts", "versions.env")) {
		files = append(files, strings.TrimPrefix(filepath.ToSlash(f), root+"/"))
	}
	for _, f := range glob(t, "*.sh") {
		files = append(files, "docker/"+f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-x"}, files...)...)
	cmd.Dir = root // The scripts' "shellcheck source=" paths are relative to the repository root.
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck %s: %v\n%s", strings.Join(files, " "), err, out)
	}
}

// bash reads scripts/versions.env as this test does.
func TestVersionsEnvSourcesInBash(t *testing.T) {
	v := readVersions(t)
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	script := "set -eu; source scripts/versions.env"
	for _, k := range keys {
		script += `; printf '%s\n' "$` + k + `"`
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		needs(t, "bash", err)
		return
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, k := range keys {
		if i >= len(got) || got[i] != v[k] {
			t.Errorf("bash reads %s from scripts/versions.env differently", k)
		}
	}
}

// The versions the READMEs name are the ones installed.
func TestReadmesNameTheInstalledVersions(t *testing.T) {
	v := readVersions(t)
	checks := []struct {
		re   *regexp.Regexp
		want string
	}{
		{regexp.MustCompile(`\bgo1\.\d+\.\d+\b`), v["GO_VERSION"]},
		{regexp.MustCompile(`GoNB (v\d+\.\d+\.\d+)`), v["GONB_VERSION"]},
		{regexp.MustCompile(`JupyterLab (\d+\.\d+\.\d+)`), v["JUPYTERLAB_VERSION"]},
		{regexp.MustCompile(`go-xla (v\d+\.\d+\.\d+)`), v["GO_XLA_VERSION"]},
	}
	for _, file := range []string{filepath.Join(root, "README.md"), "README.md"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			for _, m := range c.re.FindAllStringSubmatch(string(raw), -1) {
				if got := m[len(m)-1]; got != c.want {
					t.Errorf("%s names %q, but scripts/versions.env installs %s", file, m[0], c.want)
				}
			}
		}
	}
}

// The plugin installer, a module of its own, is outside `go vet ./...`: vet it here.
func TestInstallPJRTBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles go-xla's installer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "vet", ".")
	cmd.Dir = "install-pjrt"
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go vet in docker/install-pjrt: %v\n%s", err, out)
	}
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// needs fails a test whose tool or input is missing: scripts/setup.sh installs them all,
// so the checks run on every machine, not only in CI.
func needs(t *testing.T, what string, err error) {
	t.Helper()
	t.Fatalf("needs %s: %v (run scripts/setup.sh, which installs it)", what, err)
}
