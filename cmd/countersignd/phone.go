package main

import (
	"errors"
	"io"
)

// cmdUserPhone sets a user's phone number.
func cmdUserPhone(args []string, stdout io.Writer) error {
	return errors.New("user phone: not built yet")
}
