# httpd refuses to start with a mod_mauth configuration that cannot work,
# and the message names the directive (and the file, where there is one).
#
# Each case is a small stand-alone httpd config under t/logs/startup/CASE/
# that loads the same modules as the suite (t/conf/inherit.conf, with the
# build tree's mod_mauth.so).  httpd -X is started on it: post_config checks
# only run on a real start, not under -t.  A control case with a good config
# proves the generated configs can start at all.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use IO::Socket::INET ();
use File::Path qw(mkpath rmtree);
use POSIX ':sys_wait_h';
use Time::HiRes qw(sleep time);
use MAuth::Test;

my $vars    = Apache::Test::vars();
my $httpd   = $vars->{httpd};
my $inherit = $vars->{httpd_conf};
my $t       = $vars->{serverroot};
my $base    = "$t/logs/startup";
my $pki     = "$t/pki/out";

open my $fh, '<', $inherit or die "$inherit: $!";
# No CGI daemon in these configs: nothing runs requests.
my $loads = join '', grep { !/^#/ && !/mod_cgid?\.so/ } <$fh>;
close $fh;

rmtree($base);
mkpath($base);

# Files for the cases.
my $empty_roots = "$base/empty-roots.pem";
my $bad_crl     = "$base/garbage.crl";
my $missing     = "$base/no-such-roots.pem";
{
    open my $e, '>', $empty_roots or die; close $e;
    open my $c, '>', $bad_crl or die;
    print $c "-----BEGIN X509 CRL-----\nbm90IGEgQ1JMIGF0IGFsbCwganVzdCB0ZXh0\n-----END X509 CRL-----\n";
    close $c;
    chmod 0644, $empty_roots, $bad_crl;
}

my $SSL = <<"EOF";
    SSLEngine on
    SSLCertificateFile    "$pki/server.pem"
    SSLCertificateKeyFile "$pki/server.key"
EOF
my $MUTUAL_SSL = $SSL . "    SSLVerifyClient optional_no_ca\n";
my $MAUTH = <<"EOF";
    MAuthEngine on
    MAuthRole mutual
EOF
my $ROOTS = qq{    MAuthCACertificateFile "$pki/roots.pem"\n};
my $CRLS  = qq{    MAuthCARevocationFile "$pki/crls-all.pem"\n};

# A CRL directory for the CRL fetching cases (root's and int1's CRLs).
my $crl_dir = "$base/crl-dir";
{
    mkpath($crl_dir);
    require File::Copy;
    File::Copy::copy("$pki/$_", "$crl_dir/$_") or die "$_: $!" for qw(root.crl int1.crl);
    chmod 0755, $crl_dir;
}
my $FETCH = "    MAuthCARevocationFetch on\n";
my $FETCH_URL = "    MAuthCARevocationFetchURL http://127.0.0.1:1/int1.crl\n";

# int1's CRL again, scoped by an issuing distribution point: a CRL only
# OpenSSL's extended handling reads, which the module must say at start-up.
my $idp_crls = "$base/crls-idp.pem";
{
    my $ca = "$base/idp-ca";
    mkpath($ca);
    open my $i, '>', "$ca/index.txt" or die; close $i;
    open my $n, '>', "$ca/crlnumber" or die; print $n "1000\n"; close $n;
    open my $cfg, '>', "$ca/ca.cnf" or die;
    print $cfg <<"CNF";
[ca]
default_ca = idp_ca
[idp_ca]
database = $ca/index.txt
crlnumber = $ca/crlnumber
default_md = sha256
default_crl_days = 30
[idp_ext]
issuingDistributionPoint = critical, \@idp_section
[idp_section]
fullname = URI:http://crl.example.test/int1.crl
CNF
    close $cfg;
    system('openssl', 'ca', '-batch', '-gencrl', '-config', "$ca/ca.cnf",
           '-keyfile', "$pki/int1.key", '-cert', "$pki/int1.pem", '-crlexts', 'idp_ext',
           '-out', "$ca/int1-idp.crl") == 0 or die "openssl ca -gencrl failed";
    open my $out, '>', $idp_crls or die;
    for my $f ("$pki/root.crl", "$ca/int1-idp.crl", "$pki/int2.crl", "$pki/intrev.crl") {
        open my $in, '<', $f or die "$f: $!";
        local $/;
        print {$out} scalar <$in>;
    }
    close $out;
    chmod 0644, $idp_crls;
}

my @cases = (
    # name, vhost body, expect (start|refuse), patterns the messages must
    # match, the global LogLevel (info when not given)
    ['good_mutual_config_starts', $MUTUAL_SSL . $MAUTH . $ROOTS . $CRLS, 'start', []],
    ['crl_needing_extended_handling_is_announced_at_the_default_log_level',
     $MUTUAL_SSL . $MAUTH . $ROOTS . qq{    MAuthCARevocationFile "$idp_crls"\n},
     'start', [qr/\[mauth:warn\].*MAUTH00001.*crls-idp\.pem.*extended CRL handling/], 'warn'],
    ['crl_fetching_with_a_crl_directory_and_a_url_starts',
     $MUTUAL_SSL . $MAUTH . $ROOTS . qq{    MAuthCARevocationPath "$crl_dir"\n} . $FETCH . $FETCH_URL,
     'start', []],
    # as root the children are nobody, and $crl_dir is root's, 0755
    ['crl_fetching_into_a_directory_the_children_cannot_write_is_announced',
     $MUTUAL_SSL . $MAUTH . $ROOTS . qq{    MAuthCARevocationPath "$crl_dir"\n} . $FETCH . $FETCH_URL,
     'start', $> == 0 ? [qr/\[mauth:warn\].*MAUTH00122.*\Q$crl_dir\E is not writable/] : [],
     'warn'],
    ['crl_fetching_without_a_crl_directory_is_refused',
     $MUTUAL_SSL . $MAUTH . $ROOTS . $CRLS . $FETCH . $FETCH_URL,
     'refuse', [qr/MAUTH00121/, qr/MAuthCARevocationFetch on/, qr/MAuthCARevocationPath/,
                qr/httpd\.conf:\d+/]],
    ['crl_fetching_from_a_url_that_is_not_http_is_refused',
     $MUTUAL_SSL . $MAUTH . $ROOTS . qq{    MAuthCARevocationPath "$crl_dir"\n} . $FETCH
     . "    MAuthCARevocationFetchURL ldap://ldap.example/cn=CRL\n",
     'refuse', [qr/MAuthCARevocationFetchURL/, qr{'ldap://ldap\.example/cn=CRL' is not an http:// URL},
                qr/httpd\.conf/]],
    ['crl_fetching_with_no_url_at_all_is_refused',
     $MUTUAL_SSL . $MAUTH . $ROOTS . qq{    MAuthCARevocationPath "$crl_dir"\n} . $FETCH,
     'refuse', [qr/MAUTH00121/, qr/no URL to fetch from/, qr/httpd\.conf:\d+/]],
    ['missing_root_bundle_is_refused',
     $MUTUAL_SSL . $MAUTH . qq{    MAuthCACertificateFile "$missing"\n} . $CRLS,
     'refuse', [qr/MAuthCACertificateFile/, qr/\Qno-such-roots.pem\E/]],
    ['root_bundle_that_is_a_directory_is_refused',
     $MUTUAL_SSL . $MAUTH . qq{    MAuthCACertificateFile "$base"\n} . $CRLS,
     'refuse', [qr/MAuthCACertificateFile/, qr/\Q$base\E/]],
    ['empty_root_bundle_is_refused',
     $MUTUAL_SSL . $MAUTH . qq{    MAuthCACertificateFile "$empty_roots"\n} . $CRLS,
     'refuse', [qr/MAuthCACertificateFile/, qr/\Qempty-roots.pem\E/]],
    ['unparsable_crl_file_is_refused',
     $MUTUAL_SSL . $MAUTH . $ROOTS . qq{    MAuthCARevocationFile "$bad_crl"\n},
     'refuse', [qr/MAuthCARevocationFile/, qr/\Qgarbage.crl\E/]],
    ['crl_check_chain_without_crl_is_refused',
     $MUTUAL_SSL . $MAUTH . $ROOTS . "    MAuthCARevocationCheck chain\n",
     'refuse', [qr/MAuthCARevocation(Check|File|Path)/]],
    ['default_crl_check_without_crl_is_refused',
     $MUTUAL_SSL . $MAUTH . $ROOTS,
     'refuse', [qr/MAuthCARevocation(Check|File|Path)/]],
    ['crl_check_leaf_without_crl_is_refused',
     $MUTUAL_SSL . $MAUTH . $ROOTS . "    MAuthCARevocationCheck leaf\n",
     'refuse', [qr/MAuthCARevocation(Check|File|Path)/]],
    ['mutual_vhost_without_sslengine_is_refused',
     $MAUTH . $ROOTS . $CRLS,
     'refuse', [qr/SSLEngine/]],
    ['mutual_vhost_with_sslverifyclient_none_is_refused',
     $SSL . "    SSLVerifyClient none\n" . $MAUTH . $ROOTS . $CRLS,
     'refuse', [qr/SSLVerifyClient/, qr/optional_no_ca/]],
    ['mutual_vhost_without_sslverifyclient_is_refused',
     $SSL . $MAUTH . $ROOTS . $CRLS,
     'refuse', [qr/SSLVerifyClient/, qr/optional_no_ca/]],
    ['mutual_vhost_with_sslcacertificatefile_is_refused',
     $MUTUAL_SSL . qq{    SSLCACertificateFile "$pki/root.pem"\n} . $MAUTH . $ROOTS . $CRLS,
     'refuse', [qr/SSLCACertificateFile/]],
    ['mutual_vhost_with_sslcacertificatepath_is_refused',
     $MUTUAL_SSL . qq{    SSLCACertificatePath "$pki"\n} . $MAUTH . $ROOTS . $CRLS,
     'refuse', [qr/SSLCACertificatePath/]],
    ['mutual_vhost_with_sslcadnrequestfile_is_refused',
     $MUTUAL_SSL . qq{    SSLCADNRequestFile "$pki/root.pem"\n} . $MAUTH . $ROOTS . $CRLS,
     'refuse', [qr/SSLCADNRequestFile/]],
);

plan tests => scalar @cases;

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1,
                                  ReuseAddr => 1) or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub port_open {
    my $p = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 1);
    return $s ? 1 : 0;
}

# Returns (started, exit code, messages).
sub try_start {
    my ($name, $vhost, $loglevel) = @_;
    my $dir = "$base/$name";
    mkpath($dir);
    chmod 0755, $dir;
    my $port = free_port();
    my ($user, $group) = ($vars->{user}, $vars->{group});
    my $conf = "$dir/httpd.conf";
    open my $types, '>', "$dir/mime.types" or die "$dir/mime.types: $!";
    print $types "text/html html\n";
    close $types;
    open my $c, '>', $conf or die "$conf: $!";
    print $c <<"EOF";
# $name (generated by t/startup/refuses_bad_configuration.t)
ServerRoot "$dir"
ServerName localhost
DefaultRuntimeDir "$dir"
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
TypesConfig "$dir/mime.types"
LogLevel $loglevel
Listen 127.0.0.1:$port
$loads
User $user
Group $group
<IfModule mpm_event_module>
    StartServers 1
    ServerLimit 1
    ThreadsPerChild 4
    MaxRequestWorkers 4
</IfModule>
<VirtualHost 127.0.0.1:$port>
$vhost</VirtualHost>
EOF
    close $c;

    my $out = "$dir/stderr";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>&', \*STDOUT;
        exec $httpd, '-X', '-d', $dir, '-f', $conf or POSIX::_exit(127);
    }
    my ($started, $rc) = (0, undef);
    my $deadline = time + 15;
    while (time < $deadline) {
        my $w = waitpid($pid, WNOHANG);
        if ($w == $pid) {
            $rc = $? >> 8;
            last;
        }
        if (port_open($port)) {
            $started = 1;
            last;
        }
        sleep 0.1;
    }
    if (!defined $rc) {
        kill 'TERM', $pid;
        my $until = time + 10;
        while (time < $until) {
            last if waitpid($pid, WNOHANG) == $pid;
            sleep 0.1;
        }
        if (kill 0, $pid) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
        $rc = $started ? 0 : -1;
    }
    my $msgs = '';
    for my $f ($out, "$dir/error_log") {
        if (open my $in, '<', $f) {
            local $/;
            $msgs .= <$in> // '';
        }
    }
    return ($started, $rc, $msgs);
}

# The interesting lines of the messages, for failure diagnostics.
sub brief {
    my @l = grep { !/\[ssl:(info|warn)\]/ } split /\n/, shift;
    splice @l, 20 if @l > 20;
    return join "\n", @l;
}

for my $case (@cases) {
    my ($name, $vhost, $expect, $patterns, $loglevel) = @$case;
    (my $label = $name) =~ tr/_/ /;
    subtest $label => sub {
        my ($started, $rc, $msgs) = try_start($name, $vhost, $loglevel // 'info');
        if ($expect eq 'start') {
            ok($started, 'httpd started and listened') or diag("exit $rc:\n" . brief($msgs));
            like($msgs, $_, "the log says $_") for @$patterns;
            return;
        }
        my $ok = ok(!$started, 'httpd did not start');
        $ok &= ok($rc != 0, "httpd exited non-zero (exit $rc)");
        $ok &= ok($msgs =~ /mauth/i, 'the refusal comes from mod_mauth');
        for my $p (@$patterns) {
            $ok &= ok($msgs =~ $p, "the error names $p");
        }
        diag("httpd said:\n" . brief($msgs)) unless $ok;
    };
}
