// Package drive drives an optical (Blu-ray) burner through the MMC command set.
package drive
