package tui

import (
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
)

// editLine applies the line-editing keys of a shell (readline's emacs
// bindings) to the text r with the cursor at *pos: typing inserts at the
// cursor; backspace/delete; ctrl+u deletes to the start, ctrl+k to the end,
// ctrl+w the word before the cursor; ctrl+a/home and ctrl+e/end jump;
// left/right move. It reports whether the key was one of these.
func editLine(r *[]rune, pos *int, msg tea.KeyMsg) bool {
	s := *r
	p := clamp(*pos, 0, len(s))
	switch msg.Type {
	case tea.KeyRunes, tea.KeySpace:
		ins := msg.Runes
		if msg.Type == tea.KeySpace {
			ins = []rune{' '}
		}
		s = append(s[:p:p], append(append([]rune(nil), ins...), s[p:]...)...)
		p += len(ins)
	case tea.KeyBackspace:
		if p > 0 {
			s = append(s[:p-1:p-1], s[p:]...)
			p--
		}
	case tea.KeyDelete:
		if p < len(s) {
			s = append(s[:p:p], s[p+1:]...)
		}
	case tea.KeyCtrlU:
		s, p = append([]rune(nil), s[p:]...), 0
	case tea.KeyCtrlK:
		s = s[:p]
	case tea.KeyCtrlW:
		i := p
		for i > 0 && unicode.IsSpace(s[i-1]) {
			i--
		}
		for i > 0 && !unicode.IsSpace(s[i-1]) {
			i--
		}
		s, p = append(s[:i:i], s[p:]...), i
	case tea.KeyCtrlA, tea.KeyHome:
		p = 0
	case tea.KeyCtrlE, tea.KeyEnd:
		p = len(s)
	case tea.KeyLeft, tea.KeyCtrlB:
		p = max(0, p-1)
	case tea.KeyRight, tea.KeyCtrlF:
		p = min(len(s), p+1)
	default:
		return false
	}
	*r, *pos = s, p
	return true
}

// lineView is the text with the cursor drawn at pos.
func lineView(r []rune, pos int) string {
	p := clamp(pos, 0, len(r))
	return string(r[:p]) + "▏" + string(r[p:])
}
