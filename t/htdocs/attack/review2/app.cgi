#!/bin/sh
# the attack application, from a directory with an .htaccess
exec "$(dirname "$0")/../app.cgi"
