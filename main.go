// Command authy is the Authy server and its operator commands. It only
// hands over to bootstrap.
package main

import (
	"os"

	"github.com/secuird/authy/bootstrap"
)

func main() { os.Exit(bootstrap.Execute()) }
