package app

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/vault"
)

// errorLabel shows a problem in place, under the field it concerns.
type errorLabel struct {
	widget.Label
}

func newErrorLabel() *errorLabel {
	l := &errorLabel{}
	l.ExtendBaseWidget(l)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

// show displays msg, or hides the label when msg is empty.
func (l *errorLabel) show(msg string) {
	l.SetText(msg)
	if msg == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// describe turns an error into a sentence for the user: a field error says
// which field and what is wrong.
func describe(err error) string {
	var dup *vault.DuplicateError
	if errors.As(err, &dup) {
		return dup.Error()
	}
	var fe *vault.FieldError
	if errors.As(err, &fe) {
		return fieldTitle(fe.Field) + " " + fe.Problem
	}
	return err.Error()
}

// fieldTitle names a key field as the form labels it.
func fieldTitle(field string) string {
	switch field {
	case "name":
		return "Account name"
	case "secret":
		return "Secret key"
	case "issuer":
		return "Issuer"
	case "digits":
		return "Digits"
	case "period":
		return "Period"
	case "counter":
		return "Counter"
	case "algorithm":
		return "Algorithm"
	case "type":
		return "Type"
	}
	return field
}
