package MAuth::Attack;
# Helpers for the TLS/trust part of mod_mauth's attack suite
# (t/attack/tls_*.t, vhosts in t/conf/attack-tls.conf.in):
#
#   * requests whose TLS side (SNI, client chain, protocol, saved session)
#     and HTTP side (Host) the test chooses independently: tls_requests()
#     over IO::Socket::SSL, s_client_get() over `openssl s_client` for
#     session resumption;
#   * HTTP/2: h2_batch() runs many streams on one connection with curl;
#   * httpd's graceful restart, waited for until the new generation serves;
#   * the assertions every attack test makes: the back end did not run and
#     nothing says SUCCESS (assert_not_passed), and the legitimate request
#     beside it still passes (assert_passes).
#
# Never edits MAuth::Test or MAuth::Store; builds on them.
use strict;
use warnings;

use Exporter 'import';
use File::Temp ();
use IO::Socket::SSL ();
use Time::HiRes ();
use Apache::Test ();
use Test::More ();
use MAuth::Test ();

our @EXPORT = qw(
    tls_requests s_client_get h2_batch
    assert_not_passed assert_passes served_by
    graceful_restart swap_file
    new_id
);

$SIG{PIPE} = 'IGNORE';

sub t_dir { Apache::Test::config()->{vars}->{serverroot} }

my $counter = 0;

# new_id('label') -> a request id unique to this run, test file and call.
sub new_id {
    my $label = shift // 'r';
    (my $base = $0) =~ s{.*/}{};
    $base =~ s/\.t$//;
    $counter++;
    return sprintf '%s-%s-%d-%d-%d', $base, $label, $$, time, $counter;
}

sub fail_res {
    my ($id, $err) = @_;
    return { status => 0, error => $err, id => $id, headers => {}, body => '',
             content_type => '', env => {} };
}

# tls_requests(port => P, sni => NAME | undef (no SNI), cert => LEAF | undef,
#              requests => [{host => H, path => P}, ...], ssl => {...})
# One TLS connection, one keep-alive request per element, in order.  The
# client does not check the server's name (the server certificate says
# localhost, the SNI may say a.test).  Returns the responses, each with
# {id} and {env}; a request after a closed connection gets status 0.
sub tls_requests {
    my %a = @_;
    my @reqs = @{ $a{requests} };
    my %opts = (
        PeerHost        => '127.0.0.1',
        PeerPort        => $a{port},
        Timeout         => 20,
        SSL_hostname    => defined $a{sni} ? $a{sni} : '',
        SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_NONE(),
        %{ $a{ssl} || {} },
    );
    if (defined $a{cert}) {
        $opts{SSL_cert_file} = MAuth::Test::pki("$a{cert}-certchain.pem");
        $opts{SSL_key_file}  = MAuth::Test::pki("$a{cert}.key");
    }
    my @ids = map { new_id($a{label} // 'tls') } @reqs;
    my $sock = IO::Socket::SSL->new(%opts);
    unless ($sock) {
        my $err = $IO::Socket::SSL::SSL_ERROR || "$!";
        return map { fail_res($_, "TLS handshake failed: $err") } @ids;
    }
    my @out;
    for my $i (0 .. $#reqs) {
        my $r = $reqs[$i];
        my $last = $i == $#reqs;
        my $req = "GET $r->{path} HTTP/1.1\r\nHost: $r->{host}\r\nX-Test-Id: $ids[$i]\r\n"
                . ($last ? "Connection: close\r\n" : '') . "\r\n";
        my $off = 0;
        while ($off < length $req) {
            my $n = $sock->syswrite($req, length($req) - $off, $off);
            last unless defined $n && $n > 0;
            $off += $n;
        }
        my $res = $off == length $req ? MAuth::Test::read_response($sock)
                                      : fail_res($ids[$i], "write failed: $!");
        $res->{id} = $ids[$i];
        $res->{env} = MAuth::Test::parse_env($res->{body});
        push @out, $res;
    }
    $sock->close(SSL_no_shutdown => 1);
    return @out;
}

# s_client_get(port => P, sni => NAME | undef (-noservername), host => H,
#              cert => LEAF, proto => 'tls1_2' | 'tls1_3',
#              sess_out => FILE | sess_in => FILE, no_ticket => 1,
#              path => '/required/env.cgi')
# One HTTP/1.0 request with `openssl s_client`, which can save a TLS
# session and resume it.  Returns {session => 'New' | 'Reused' | '',
# status, headers, body, env, id, out (s_client's whole output)}.
sub s_client_get {
    my %a = @_;
    my $id = new_id($a{label} // 'sess');
    my @args = ('-connect', "127.0.0.1:$a{port}", "-$a{proto}", '-ign_eof',
                '-CAfile', MAuth::Test::pki('root.pem'));
    push @args, defined $a{sni} ? ('-servername', $a{sni}) : ('-noservername');
    push @args, ('-cert', MAuth::Test::pki("$a{cert}.pem"),
                 '-key', MAuth::Test::pki("$a{cert}.key"),
                 '-cert_chain', MAuth::Test::pki("$a{cert}-chain.pem")) if defined $a{cert};
    push @args, '-no_ticket' if $a{no_ticket};
    push @args, ('-sess_out', $a{sess_out}) if $a{sess_out};
    push @args, ('-sess_in', $a{sess_in}) if $a{sess_in};
    my $path = $a{path} // '/required/env.cgi';
    my $out = MAuth::Test::run_s_client(args => \@args,
        input => "GET $path HTTP/1.0\r\nHost: $a{host}\r\nX-Test-Id: $id\r\n\r\n");
    my ($session) = $out =~ /^(New|Reused), /m;
    my ($http) = $out =~ /(HTTP\/1\.\d \d+.*)\z/s;
    $http //= '';
    my ($status) = $http =~ /^HTTP\/1\.\d (\d+)/;
    my ($head, $body) = $http =~ /\A(.*?)\r?\n\r?\n(.*)\z/s;
    $head //= '';
    $body //= '';
    # s_client prints session tickets and its own notes into the same
    # stream: cut the body at Content-Length, or at s_client's next note.
    if ($head =~ /^Content-Length:\s*(\d+)/mi) {
        $body = substr($body, 0, $1);
    }
    else {
        $body =~ s/\n?(---\n|read R BLOCK|closed\n|DONE\n).*\z//s;
    }
    my %h;
    for (split /\r?\n/, $head) {
        my ($k, $v) = /^([^:\s]+):\s*(.*)$/ or next;
        $h{lc $k} = $v;
    }
    return { out => $out, session => $session // '', status => $status // 0,
             headers => \%h, content_type => $h{'content-type'} // '',
             body => $body, env => MAuth::Test::parse_env($body), id => $id };
}

sub describe {
    my $res = shift;
    return "status=" . ($res->{status} // 0)
         . ($res->{error} ? " error=$res->{error}" : '')
         . (defined $res->{session} ? " session=$res->{session}" : '')
         . " content-type=" . ($res->{content_type} // '')
         . " body=" . substr($res->{body} // '', 0, 400);
}

# assert_not_passed($res, reason => SENTENCE | [SENTENCES], ran => \&backend_ran)
# Strict: not 200, the back end did not run, neither the back end's
# environment nor the response header X-Test-MAuth-Client-Verify says
# SUCCESS.  Loose (what the fixed module is expected to answer): 403 with
# the Certificate Error page for one of the reasons, or mod_ssl's 421.
# Logs which of the two it was.
sub assert_not_passed {
    my ($res, %a) = @_;
    my $ran = $a{ran} || \&MAuth::Test::backend_ran;
    my @reasons = ref $a{reason} ? @{ $a{reason} } : grep { defined } ($a{reason});
    my $ok = 1;
    $ok &= Test::More::isnt($res->{status}, 200, 'not 200')
        or Test::More::diag(describe($res));
    $ok &= Test::More::ok(!$ran->($res->{id}), 'back end did not run');
    my $hv = $res->{headers}->{'x-test-mauth-client-verify'} // '';
    $ok &= Test::More::unlike($hv, qr/^SUCCESS/, "response's MAUTH_CLIENT_VERIFY is not SUCCESS ($hv)");
    $ok &= Test::More::isnt($res->{env}->{MAUTH_CLIENT_VERIFY} // '', 'SUCCESS',
                            "back end's MAUTH_CLIENT_VERIFY is not SUCCESS");
    my $st = $res->{status} // 0;
    $ok &= Test::More::ok($st == 403 || $st == 421, "refused with 403 or 421 (got $st)");
    if ($st == 403 && @reasons) {
        my @pages = map { MAuth::Test::expected_page($_) } @reasons;
        my $body = $res->{body} // '';
        $ok &= Test::More::ok((grep { $body eq $_ } @pages) ? 1 : 0,
                              '403 body is the Certificate Error page: ' . join(' | ', @reasons))
            or Test::More::diag("got body: $body");
    }
    Test::More::note('answer: ' . ($st == 421 ? '421 Misdirected Request'
                                  : $st == 403 ? 'Certificate Error page' : "status $st")
                     . (defined $res->{session} && $res->{session} ne ''
                        ? ", TLS session $res->{session}" : ''));
    return $ok;
}

# assert_passes($res, cert => LEAF, ran => \&backend_ran): 200, the back end
# ran and saw MAUTH_CLIENT_VERIFY=SUCCESS for that leaf.
sub assert_passes {
    my ($res, %a) = @_;
    my $ran = $a{ran} || \&MAuth::Test::backend_ran;
    my $ok = 1;
    $ok &= Test::More::is($res->{status}, 200, 'HTTP status 200')
        or Test::More::diag(describe($res));
    $ok &= Test::More::ok($ran->($res->{id}), 'back end ran');
    $ok &= Test::More::is($res->{env}->{MAUTH_CLIENT_VERIFY}, 'SUCCESS', 'MAUTH_CLIENT_VERIFY=SUCCESS');
    if ($a{cert}) {
        $ok &= Test::More::is($res->{env}->{MAUTH_CLIENT_CERT_SHA256},
                              MAuth::Test::cert_fingerprint(MAuth::Test::pki("$a{cert}.pem")),
                              "the back end saw $a{cert}'s certificate");
    }
    return $ok;
}

# served_by($res, NAME): the response came from that vhost of
# attack-tls.conf.in (its X-Test-Vhost header), proof that the Host header
# really switched vhosts.  mod_ssl's 421 may carry no such header: then
# there is nothing to check.
sub served_by {
    my ($res, $name) = @_;
    return Test::More::pass("answered by mod_ssl's 421, before any vhost's handlers")
        if ($res->{status} // 0) == 421 && !defined $res->{headers}->{'x-test-vhost'};
    return Test::More::is($res->{headers}->{'x-test-vhost'}, $name, "the request reached vhost $name");
}

# ------------------------------------------------------------ HTTP/2

# h2_batch(port => P, cert => LEAF, max_time => S,
#          streams => [{path, headers => [..], host => NAME}])
# All streams in one curl run (--parallel, no --parallel-immediate: curl
# waits for a host's first connection and multiplexes that host's
# transfers on it).  One TLS connection per host name: localhost (the
# default, server certificate checked) or any other name, resolved to
# 127.0.0.1 and sent as SNI and Host (server certificate not checked).
# Returns {rc, output, streams}, the streams in order, each with {id,
# status, headers, body, env, local_port, http_version, num_connects}.
sub h2_batch {
    my %a = @_;
    my $dir = File::Temp->newdir(DIR => t_dir() . '/logs', CLEANUP => 1);
    my $port = $a{port};
    my @common = ('--http2', '--silent', '--show-error',
                  '--cert', MAuth::Test::pki("$a{cert}-certchain.pem"),
                  '--key', MAuth::Test::pki("$a{cert}.key"),
                  '--max-time', $a{max_time} // 60);
    my @args = ('curl', '--parallel', '--parallel-max', 100);
    my @streams = @{ $a{streams} };
    for my $i (0 .. $#streams) {
        my $s = $streams[$i];
        $s->{id} = new_id('h2');
        my $host = $s->{host} // 'localhost';
        push @args, '--next' if $i > 0;
        push @args, @common, '-H', "X-Test-Id: $s->{id}";
        push @args, $host eq 'localhost'
            ? ('--cacert', MAuth::Test::pki('root.pem'))
            : ('--resolve', "$host:$port:127.0.0.1", '--insecure');
        my @h = @{ $s->{headers} || [] };
        while (my ($k, $v) = splice @h, 0, 2) {
            push @args, '-H', "$k: $v";
        }
        push @args, '-D', "$dir/$i.head", '-o', "$dir/$i.body",
            '-w', "stream=$i code=%{http_code} port=%{local_port} "
                . "version=%{http_version} connects=%{num_connects}\\n",
            "https://$host:$port$s->{path}";
    }
    my $out = File::Temp->new(DIR => "$dir");
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out->filename or die;
        open STDERR, '>&', \*STDOUT or die;
        exec('timeout', ($a{max_time} // 60) + 10, @args) or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    my $report = do { local (@ARGV, $/) = ($out->filename); <> } // '';
    my %w;
    for (split /\n/, $report) {
        my %f = /(\w+)=(\S+)/g;
        $w{$f{stream}} = \%f if defined $f{stream};
    }
    for my $i (0 .. $#streams) {
        my $s = $streams[$i];
        my $head = -e "$dir/$i.head" ? do { local (@ARGV, $/) = ("$dir/$i.head"); <> } : '';
        my $body = -e "$dir/$i.body" ? do { local (@ARGV, $/) = ("$dir/$i.body"); <> } : '';
        my %h;
        for (split /\r?\n/, $head // '') {
            my ($k, $v) = /^([^:\s]+):\s*(.*)$/ or next;
            $h{lc $k} = $v;
        }
        my $w = $w{$i} || {};
        $s->{status} = ($w->{code} // 0) + 0;
        $s->{headers} = \%h;
        $s->{content_type} = $h{'content-type'} // '';
        $s->{body} = $body // '';
        $s->{env} = MAuth::Test::parse_env($s->{body});
        $s->{local_port} = $w->{port} // '';
        $s->{http_version} = $w->{version} // '';
        $s->{num_connects} = $w->{connects} // 0;
    }
    return { streams => \@streams, rc => $rc, output => $report };
}

# ------------------------------------------------------------ httpd

sub pid_file { t_dir() . '/logs/httpd.pid' }

sub read_pid {
    open my $fh, '<', pid_file() or return;
    my $pid = <$fh>;
    close $fh;
    return unless defined $pid && $pid =~ /^(\d+)/;
    return $1;
}

# The processes whose parent is $ppid (from /proc).
sub children_of {
    my $ppid = shift;
    my @kids;
    opendir my $d, '/proc' or return;
    for my $p (grep { /^\d+$/ } readdir $d) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh> // '';
        close $fh;
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        my ($state, $parent) = $stat =~ /\)\s+(\S)\s+(\d+)/ or next;
        push @kids, $p if $parent == $ppid && $state ne 'Z';
    }
    return @kids;
}

# graceful_restart(port => P): SIGUSR1 to httpd, then waits (bounded) until
# the parent says it resumed, every child of the old generation is gone,
# and a TLS handshake on port P completes.  Returns a true value when all
# three happened, and says what it waited for.
sub graceful_restart {
    my %a = @_;
    my $limit = $a{timeout} // 30;
    my $pid = read_pid() or do { Test::More::diag('no httpd.pid'); return 0 };
    my $log = MAuth::Test::error_log();
    my $mark = -s $log || 0;
    my @old = children_of($pid);
    kill 'USR1', $pid or do { Test::More::diag("kill USR1 $pid: $!"); return 0 };
    my $t0 = Time::HiRes::time();
    my ($resumed, $gone, $answers) = (0, 0, 0);
    while (Time::HiRes::time() - $t0 < $limit) {
        Time::HiRes::sleep(0.2);
        unless ($resumed) {
            if (open my $fh, '<', $log) {
                seek $fh, $mark, 0;
                local $/;
                my $text = <$fh> // '';
                $resumed = $text =~ /resuming normal operations/;
            }
            next unless $resumed;
        }
        unless ($gone) {
            my %now = map { $_ => 1 } children_of($pid);
            $gone = !grep { $now{$_} } @old;
            next unless $gone;
        }
        my $sock = IO::Socket::SSL->new(PeerHost => '127.0.0.1', PeerPort => $a{port},
                                        Timeout => 5, SSL_verify_mode => 0);
        if ($sock) {
            $sock->close(SSL_no_shutdown => 1);
            $answers = 1;
            last;
        }
    }
    Test::More::note(sprintf 'graceful restart of %d: resumed=%d old children gone=%d '
                     . 'answers=%d after %.1fs', $pid, $resumed, $gone, $answers,
                     Time::HiRes::time() - $t0);
    return $resumed && $gone && $answers;
}

# swap_file(FROM, TO): TO gets FROM's bytes, atomically (rename), readable
# by httpd's children.
sub swap_file {
    my ($from, $to) = @_;
    my $tmp = "$to.tmp.$$";
    open my $in, '<', $from or die "$from: $!";
    binmode $in;
    open my $out, '>', $tmp or die "$tmp: $!";
    binmode $out;
    local $/;
    print $out scalar <$in>;
    close $out or die "$tmp: $!";
    close $in;
    chmod 0644, $tmp;
    rename $tmp, $to or die "rename $tmp $to: $!";
}

1;
