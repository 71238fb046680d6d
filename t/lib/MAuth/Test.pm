package MAuth::Test;
# Helpers for mod_mauth's Apache::Test suite: TLS requests with client
# certificates against the vhosts of t/conf/chain.conf.in, the expected
# "Certificate Error" page, the back end's run log, the error log.
use strict;
use warnings;

use Exporter 'import';
use IO::Socket::SSL ();
use Time::HiRes ();
use Apache::Test ();
use Apache::TestConfig ();
use Test::More ();

our @EXPORT = qw(
    pki vhost_port mtls_request read_response open_tls send_request
    backend_ran parse_env expected_page
    assert_refused assert_accepted
    cert_fingerprint cert_serial
    error_log_mark error_log_since
    run_s_client file_bytes
);

my $counter = 0;

sub config { Apache::Test::config() }

sub t_dir { config()->{vars}->{serverroot} }

# pki('good-ec.pem') -> absolute path in t/pki/out
sub pki {
    my $name = shift;
    my $path = t_dir() . "/pki/out/$name";
    die "missing PKI file $path (t/pki/mkpki.sh not run?)\n" unless -e $path;
    return $path;
}

sub vhost_port {
    my $name = shift;
    my $vh = config()->{vhosts}->{$name}
        or die "no vhost $name in t/conf/chain.conf.in\n";
    return $vh->{port};
}

sub runlog { t_dir() . '/logs/backend-runs.log' }

sub new_test_id {
    (my $base = $0) =~ s{.*/}{};
    $base =~ s/\.t$//;
    $counter++;
    return sprintf '%s-%d-%d-%d', $base, $$, time, $counter;
}

# open_tls(vhost => NAME, cert => 'good-ec' | undef, chain => 1|0,
#          certfile => FILE, keyfile => FILE, ssl => {extra IO::Socket::SSL opts})
# Returns ($socket, $error).
sub open_tls {
    my %a = @_;
    my $port = $a{port} || vhost_port($a{vhost});
    my %opts = (
        PeerHost        => '127.0.0.1',
        PeerPort        => $port,
        Timeout         => 20,
        SSL_hostname    => 'localhost',
        SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
        SSL_ca_file     => pki('root.pem'),
        SSL_verifycn_name   => 'localhost',
        SSL_verifycn_scheme => 'http',
    );
    my $chain = exists $a{chain} ? $a{chain} : 1;
    if ($a{certfile}) {
        $opts{SSL_cert_file} = $a{certfile};
        $opts{SSL_key_file}  = $a{keyfile};
    }
    elsif (defined $a{cert}) {
        # A PEM with the leaf then its intermediates: IO::Socket::SSL loads it
        # with SSL_CTX_use_certificate_chain_file and sends all of it.
        $opts{SSL_cert_file} = $chain ? pki("$a{cert}-certchain.pem") : pki("$a{cert}.pem");
        $opts{SSL_key_file}  = pki("$a{cert}.key");
    }
    %opts = (%opts, %{ $a{ssl} || {} });
    my $sock = IO::Socket::SSL->new(%opts);
    return ($sock, $sock ? undef : ($IO::Socket::SSL::SSL_ERROR || "$!"));
}

sub send_request {
    my ($sock, %a) = @_;
    my $method = $a{method} || 'GET';
    my $port = $sock->peerport;
    my $req = "$method $a{path} HTTP/1.1\r\nHost: localhost:$port\r\n"
            . "X-Test-Id: $a{id}\r\n"
            . ($a{close} ? "Connection: close\r\n" : '')
            . "\r\n";
    my $off = 0;
    while ($off < length $req) {
        my $n = $sock->syswrite($req, length($req) - $off, $off);
        return 0 unless defined $n && $n > 0;
        $off += $n;
    }
    return 1;
}

# Reads one HTTP response (Content-Length, chunked, or to EOF) from a socket;
# keeps unread bytes in ${*$sock}{mauth_buf}.
sub read_response {
    my ($sock, $head_only) = @_;
    my $buf = \${*$sock}{mauth_buf};
    $$buf //= '';
    my $fill = sub {
        my $chunk;
        my $n = $sock->sysread($chunk, 65536);
        return 0 unless $n;
        $$buf .= $chunk;
        return $n;
    };
    while ($$buf !~ /\r\n\r\n/) {
        $fill->() or return { status => 0, error => 'connection closed before response headers: '
                                  . ($IO::Socket::SSL::SSL_ERROR || $! || 'EOF'),
                              partial => $$buf };
    }
    my $end = index($$buf, "\r\n\r\n");
    my $head = substr($$buf, 0, $end);
    substr($$buf, 0, $end + 4) = '';
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($status) = $status_line =~ m{^HTTP/\d\.\d\s+(\d+)};
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $k = lc $k;
        $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
    }
    my $body = '';
    if ($head_only) {
    }
    elsif (($h{'transfer-encoding'} || '') =~ /chunked/i) {
        while (1) {
            while ($$buf !~ /\r\n/) { $fill->() or last }
            $$buf =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n// or last;
            my $len = hex $1;
            while (length($$buf) < $len + 2) { $fill->() or last }
            $body .= substr($$buf, 0, $len);
            substr($$buf, 0, $len + 2) = '';
            if ($len == 0) {
                last;
            }
        }
    }
    elsif (defined $h{'content-length'}) {
        my $len = $h{'content-length'};
        while (length($$buf) < $len) { $fill->() or last }
        $body = substr($$buf, 0, $len);
        substr($$buf, 0, $len) = '';
    }
    else {
        while ($fill->()) { }
        $body = $$buf;
        $$buf = '';
    }
    return {
        status       => $status || 0,
        status_line  => $status_line,
        headers      => \%h,
        content_type => $h{'content-type'} // '',
        body         => $body,
    };
}

# mtls_request(vhost => NAME, path => '/free/env.cgi', cert => NAME or undef,
#              chain => 1|0) -> response hash with {id} and {env} (the back
# end's lines, when it answered).
sub mtls_request {
    my %a = @_;
    my $id = new_test_id();
    my ($sock, $err) = open_tls(%a);
    unless ($sock) {
        return { status => 0, error => "TLS handshake failed: $err", id => $id,
                 headers => {}, body => '', content_type => '' };
    }
    send_request($sock, path => $a{path}, id => $id, close => 1)
        or return { status => 0, error => "write failed: $!", id => $id,
                    headers => {}, body => '', content_type => '' };
    my $res = read_response($sock);
    $sock->close(SSL_no_shutdown => 1);
    $res->{id} = $id;
    $res->{env} = parse_env($res->{body});
    return $res;
}

sub parse_env {
    my $body = shift // '';
    my %env;
    for (split /\n/, $body) {
        my ($k, $v) = /^([A-Z0-9_]+)=(.*)$/ or next;
        $env{$k} = $v;
    }
    return \%env;
}

# Did the back end run for this request?  Its run log has one line per run.
sub backend_ran {
    my $id = shift;
    Time::HiRes::sleep(0.05);
    open my $fh, '<', runlog() or return 0;
    while (<$fh>) {
        return 1 if /\bid=\Q$id\E\s/;
    }
    return 0;
}

# The seed's page, byte for byte.
sub expected_page {
    my ($reason, $image) = @_;
    my $img = defined $image ? qq{<img src="$image">} : '';
    return '<html><head><title>Certificate Error</title></head>'
         . '<body bgcolor=#ffffff text=#3198d8><center>' . $img
         . '<p><h3>Client certificate error:<i>' . $reason
         . '</i></h3></center></body></html>';
}

sub describe {
    my $res = shift;
    return "status=$res->{status}"
         . ($res->{error} ? " error=$res->{error}" : '')
         . " content-type=$res->{content_type} body=" . substr($res->{body} // '', 0, 400);
}

# assert_refused($res, reasons => [sentence, ...] or sentence,
#                token => 'expired' or [tokens], status => 403, image => URL)
sub assert_refused {
    my ($res, %a) = @_;
    my $status = $a{status} || 403;
    my @reasons = ref $a{reason} ? @{ $a{reason} } : ($a{reason});
    my @tokens  = ref $a{token} ? @{ $a{token} } : (defined $a{token} ? ($a{token}) : ());
    my $ok = 1;
    $ok &= Test::More::is($res->{status}, $status, "HTTP status $status (TLS handshake completed)")
        or Test::More::diag(describe($res));
    $ok &= Test::More::like($res->{content_type}, qr{^text/html\b}i, 'content type text/html');
    my @pages = map { expected_page($_, $a{image}) } @reasons;
    my $body = $res->{body} // '';
    my $match = grep { $body eq $_ } @pages;
    $ok &= Test::More::ok($match, "body is the Certificate Error page: " . join(' | ', @reasons))
        or Test::More::diag("got body: $body\nexpected: " . join("\n  or: ", @pages));
    $ok &= Test::More::ok(!backend_ran($res->{id}), 'back end did not run');
    my $sslv = $res->{headers}->{'x-test-ssl-client-verify'} // '';
    $ok &= Test::More::unlike($sslv, qr/^SUCCESS/, "mod_ssl's SSL_CLIENT_VERIFY is not SUCCESS ($sslv)");
    my $mv = $res->{headers}->{'x-test-mauth-client-verify'} // '';
    if (@tokens && $mv ne '' && $mv ne '(null)') {
        # verify_alt: whole values also accepted (NONE for "no certificate",
        # which is the connection's verdict rather than a chain failure).
        my @want = ((map { "FAILED:$_" } @tokens), @{ $a{verify_alt} || [] });
        $ok &= Test::More::ok((grep { $mv eq $_ } @want) ? 1 : 0,
                              'MAUTH_CLIENT_VERIFY is ' . join('|', @want))
            or Test::More::diag("got $mv");
    }
    return $ok;
}

# assert_accepted($res, cert => 'good-ec', verify => 'SUCCESS')
sub assert_accepted {
    my ($res, %a) = @_;
    my $ok = 1;
    my $verify = $a{verify} || 'SUCCESS';
    $ok &= Test::More::is($res->{status}, 200, 'HTTP status 200') or Test::More::diag(describe($res));
    $ok &= Test::More::ok(backend_ran($res->{id}), 'back end ran');
    my $env = $res->{env};
    $ok &= Test::More::is($env->{MAUTH_CLIENT_VERIFY}, $verify, "MAUTH_CLIENT_VERIFY=$verify");
    if ($verify eq 'SUCCESS' && $a{cert}) {
        my $pem = pki("$a{cert}.pem");
        $ok &= Test::More::is($env->{MAUTH_CLIENT_CERT_SHA256}, cert_fingerprint($pem),
                              'MAUTH_CLIENT_CERT_SHA256 is the SHA-256 of the leaf');
        $ok &= Test::More::is($env->{SSL_CLIENT_VERIFY}, 'SUCCESS',
                              "mod_ssl's SSL_CLIENT_VERIFY is SUCCESS");
        $ok &= Test::More::is($env->{MAUTH_CLIENT_M_SERIAL}, cert_serial($pem),
                              'MAUTH_CLIENT_M_SERIAL is the leaf serial');
        for my $v (qw(S_DN I_DN M_SERIAL V_START V_END)) {
            $ok &= Test::More::is($env->{"MAUTH_CLIENT_$v"}, $env->{"SSL_CLIENT_$v"},
                                  "MAUTH_CLIENT_$v matches mod_ssl's SSL_CLIENT_$v");
        }
        if ($a{subject_cn}) {
            $ok &= Test::More::like($env->{MAUTH_CLIENT_S_DN} // '', qr/CN=\Q$a{subject_cn}\E/,
                                    "MAUTH_CLIENT_S_DN names CN=$a{subject_cn}");
        }
        if ($a{issuer_cn}) {
            $ok &= Test::More::like($env->{MAUTH_CLIENT_I_DN} // '', qr/CN=\Q$a{issuer_cn}\E/,
                                    "MAUTH_CLIENT_I_DN names CN=$a{issuer_cn}");
        }
    }
    return $ok;
}

sub openssl_bin { $ENV{OPENSSL} || 'openssl' }

sub cert_fingerprint {
    my $pem = shift;
    my $out = `@{[openssl_bin()]} x509 -in '$pem' -noout -fingerprint -sha256`;
    my ($hex) = $out =~ /=([0-9A-F:]+)/i or die "cannot fingerprint $pem";
    $hex =~ s/://g;
    return lc $hex;
}

sub cert_serial {
    my $pem = shift;
    my $out = `@{[openssl_bin()]} x509 -in '$pem' -noout -serial`;
    my ($hex) = $out =~ /serial=([0-9A-F]+)/i or die "cannot read serial of $pem";
    return uc $hex;
}

# The bytes of a file, whole.
sub file_bytes {
    my $file = shift;
    open my $fh, '<:raw', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

sub error_log { t_dir() . '/logs/error_log' }

sub error_log_mark { -s error_log() || 0 }

sub error_log_since {
    my $mark = shift;
    Time::HiRes::sleep(0.3);
    open my $fh, '<', error_log() or return '';
    seek $fh, $mark, 0;
    local $/;
    return scalar(<$fh>) // '';
}

# run_s_client(args => [...], input => STRING) -> combined output
sub run_s_client {
    my %a = @_;
    my $in = t_dir() . "/logs/s_client.$$.in";
    open my $fh, '>', $in or die "$in: $!";
    print $fh $a{input} // '';
    close $fh;
    my @cmd = ('timeout', '20', openssl_bin(), 's_client', @{ $a{args} });
    my $cmd = join ' ', map { my $x = $_; $x =~ s/'/'\\''/g; "'$x'" } @cmd;
    my $out = `$cmd <'$in' 2>&1`;
    unlink $in;
    return $out;
}

1;
