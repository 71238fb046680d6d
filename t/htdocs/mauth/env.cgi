#!/usr/bin/env perl
# Back end for mod_mauth's tests: prints what it received from httpd, one
# NAME=VALUE line per variable, and appends one line per run to the run log
# ($TEST_BACKEND_RUNLOG) so a test can prove that a refused request never got
# here.
use strict;
use warnings;

my @names = sort grep { /^MAUTH_/ || /^SSL_CLIENT_/ || $_ eq 'HTTPS' || $_ eq 'SSL_PROTOCOL'
                        || $_ eq 'SSL_SESSION_RESUMED' }
            keys %ENV;

if (my $log = $ENV{TEST_BACKEND_RUNLOG}) {
    if (open my $fh, '>>', $log) {
        printf $fh "run id=%s pid=%d uri=%s verify=%s\n",
            $ENV{HTTP_X_TEST_ID} // '-', $$, $ENV{REQUEST_URI} // '-',
            $ENV{MAUTH_CLIENT_VERIFY} // '-';
        close $fh;
    }
}

print "Content-Type: text/plain\n\n";
print "BACKEND=ran\n";
for my $n (@names) {
    next if $n =~ /^SSL_CLIENT_CERT/ || $n =~ /^SSL_CLIENT_CERT_CHAIN_/;
    my $v = $ENV{$n};
    $v =~ s/\n/\\n/g;
    print "$n=$v\n";
}
