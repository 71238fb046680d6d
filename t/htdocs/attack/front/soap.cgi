#!/usr/bin/env perl
# /front/soap.cgi: the target of t/attack/redirect_internal.t's internal
# redirects and subrequests, the only URL there with MAuthEnforce on.  The
# same application as ../app.cgi.
use strict;
use warnings;
use FindBin ();
my $app = "$FindBin::Bin/../app.cgi";
do $app;
die "$app: $@" if $@;
