package screen

import (
	"strings"
	"testing"
)

// TestScanWording: the copy-code field's words name both ways the kiosk
// reads a code (its scanner and its camera), and the typed fallback.
func TestScanWording(t *testing.T) {
	b, err := templateFS.ReadFile("templates/title.html")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	label := page[strings.Index(page, `<label for="code">`):]
	label = label[:strings.Index(label, "</label>")]
	help := page[strings.Index(page, `id="codehelp"`):]
	help = help[:strings.Index(help, "</p>")]
	for _, want := range []string{"scanner", "camera"} {
		if !strings.Contains(label, want) {
			t.Errorf("the code field's label %q does not mention the %s", label, want)
		}
	}
	if !strings.Contains(help, "Type the code") {
		t.Errorf("the code field's help %q lost the typed fallback", help)
	}
}
