//go:build !linux

package main

import "errors"

func run([]string) error { return errors.New("the SG_IO guest runs only on Linux") }
