#!/usr/bin/perl
# t/bench/ocsp_delay.pl LISTEN_PORT RESPONDER_PORT DELAY_MS
#
# For t/bench/run.sh (BENCH_OCSP_DELAY_MS): an OCSP responder DELAY_MS
# away.  Accepts HTTP/1.0 OCSP requests on 127.0.0.1:LISTEN_PORT, one
# process a connection, waits DELAY_MS (the round trip to a responder
# elsewhere on the network), passes the request to the `openssl ocsp`
# responder on 127.0.0.1:RESPONDER_PORT and its answer back.  Only
# perl-base modules.
use strict;
use warnings;
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

my ($listen_port, $to_port, $delay_ms) = @ARGV;
die "usage: $0 LISTEN_PORT RESPONDER_PORT DELAY_MS\n"
    unless defined $delay_ms && $delay_ms =~ /^\d+$/;
$SIG{CHLD} = 'IGNORE';
my $listen = IO::Socket::INET->new(Listen => 128, LocalAddr => '127.0.0.1',
                                   LocalPort => $listen_port, ReuseAddr => 1)
    or die "ocsp_delay: cannot listen on $listen_port: $!\n";
$| = 1;
print STDERR "ocsp_delay: waiting for connections, $delay_ms ms to port $to_port\n";
while (1) {
    my $c = $listen->accept or next;
    my $pid = fork;
    if (!defined $pid || $pid) {
        close $c;
        next;
    }
    my $req = '';
    while ($req !~ /\r\n\r\n/) {
        my $n = sysread $c, $req, 65536, length $req;
        POSIX::_exit(1) unless $n;
    }
    my ($len) = $req =~ /^Content-Length:\s*(\d+)/mi;
    my $body = length($req) - index($req, "\r\n\r\n") - 4;
    while (defined $len && $body < $len) {
        my $n = sysread $c, $req, 65536, length $req;
        POSIX::_exit(1) unless $n;
        $body += $n;
    }
    Time::HiRes::sleep($delay_ms / 1000);
    my $u = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $to_port)
        or POSIX::_exit(1);
    print $u $req;
    my $resp = '';
    while (sysread $u, $resp, 65536, length $resp) { }
    print $c $resp;
    close $c;
    POSIX::_exit(0);
}
