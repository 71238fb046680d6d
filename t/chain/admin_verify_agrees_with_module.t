# `mauth-admin verify` decides what the module decides.  For every leaf of
# the suite's PKI (each t/pki/out/NAME-certchain.pem, sent whole and, where
# it has intermediates, as the leaf alone) and for each mutual vhost of
# t/conf/chain.conf.in, the module's verdict (MAUTH_CLIENT_VERIFY, in the
# X-Test-MAuth-Client-Verify header) is the first word of build/mauth-admin
# verify given the same settings: each vhost's MAuthCA*, MAuthCARevocation*
# and MAuthVerifyDepth read from the configuration and passed as the
# tool's options, with and without CRLs, so the tool's defaults are the
# module's too (nothing is passed for a setting the vhost leaves unset).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use IPC::Open3 ();
use Apache::Test ();
use MAuth::Test;

my $t_dir = Apache::Test::config()->{vars}->{serverroot};
(my $top = $t_dir) =~ s{/t/?$}{};
my $admin = "$top/build/mauth-admin";
plan skip_all => "$admin not built (make -f Makefile.apxs tools)" unless -x $admin;

# The vhosts the comparison runs on: every mutual vhost but
# mauth_keepalive, whose verdict cache the keep-alive test must find cold.
my %skip = (mauth_keepalive => 'its verdict cache belongs to keepalive_connection_validates_once.t');

# Each setting of a trust, as the tool's option; where the option goes.
my %option = (
    MAuthCACertificateFile => ['--ca-file', 'global'],
    MAuthCACertificatePath => ['--ca-path', 'global'],
    MAuthCARevocationFile  => ['--crl-file', 'global'],
    MAuthCARevocationPath  => ['--crl-path', 'global'],
    MAuthCARevocationCheck => ['--crl-check', 'global'],
    MAuthVerifyDepth       => ['--depth', 'verify'],
);

# The mutual vhosts of chain.conf.in: name -> [global options], [verify options].
sub mutual_vhosts {
    my $conf = "$t_dir/conf/chain.conf.in";
    open my $fh, '<', $conf or die "cannot read $conf: $!";
    my (%define, %vhosts, $name, %settings, $mutual);
    while (my $line = <$fh>) {
        $line =~ s/^\s+|\s+$//g;
        $line =~ s/\@ServerRoot\@/$t_dir/g;
        $line =~ s/\$\{(\w+)\}/exists $define{$1} ? $define{$1} : die "no Define $1\n"/ge;
        if ($line =~ /^Define\s+(\w+)\s+"?([^"]*)"?$/) {
            $define{$1} = $2;
        }
        elsif ($line =~ /^<VirtualHost\s+(\w+)>$/) {
            $name = $1;
            %settings = ();
            $mutual = 0;
        }
        elsif ($line =~ m{^</VirtualHost>$}) {
            if ($mutual && !$skip{$name}) {
                my (@global, @verify);
                for my $d (sort keys %settings) {
                    my ($opt, $where) = @{ $option{$d} };
                    push @{ $where eq 'global' ? \@global : \@verify }, $opt, $settings{$d};
                }
                $vhosts{$name} = [\@global, \@verify];
            }
            undef $name;
        }
        elsif (defined $name && $line =~ /^MAuthRole\s+mutual$/i) {
            $mutual = 1;
        }
        elsif (defined $name && $line =~ /^(MAuthCA\w*|MAuthVerifyDepth)\s+"?([^"]*)"?$/) {
            die "$conf: $1 in vhost $name has no mauth-admin option here\n"
                unless $option{$1};
            $settings{$1} = $2;
        }
    }
    return \%vhosts;
}

# The leaves: NAME of each NAME-certchain.pem, with whether it carries
# intermediates (then the leaf alone is a chain of its own).
sub leaves {
    my @leaves;
    for my $file (sort glob("$t_dir/pki/out/*-certchain.pem")) {
        my ($name) = $file =~ m{/([^/]+)-certchain\.pem$};
        next unless -e "$t_dir/pki/out/$name.key";
        open my $fh, '<', $file or die "cannot read $file: $!";
        my $certs = () = do { local $/; <$fh> } =~ /-----BEGIN CERTIFICATE-----/g;
        push @leaves, [$name, $certs > 1];
    }
    return @leaves;
}

# mauth-admin's verdict: its first word, and all it said.
sub admin_verdict {
    my @cmd = @_;
    my $pid = IPC::Open3::open3(my $in, my $out, undef, @cmd);
    close $in;
    my $said = do { local $/; <$out> } // '';
    waitpid $pid, 0;
    my ($verdict) = $said =~ /^(NONE|SUCCESS|FAILED:[a-z-]+)(?::\s|\n|$)/;
    return ($verdict // '', "exit " . ($? >> 8) . ": $said");
}

my $vhosts = mutual_vhosts();
my @leaves = leaves();
my @wanted = qw(mauth_main mauth_crl_none mauth_crl_leaf mauth_depth2);
my %seen;                                  # verdict -> count, over every vhost

plan tests => 3 + keys %$vhosts;

ok(!(grep { !$vhosts->{$_} } @wanted),
   "chain.conf.in has the mutual vhosts compared: @wanted")
    or diag('found: ' . join(' ', sort keys %$vhosts));
cmp_ok(scalar @leaves, '>=', 15, 'the PKI has its leaves (' . scalar(@leaves) . ')');

for my $vhost (sort keys %$vhosts) {
    my ($global, $verify) = @{ $vhosts->{$vhost} };
    (my $options = "@$global verify @$verify") =~ s{\Q$t_dir/pki/out/\E}{}g;
    subtest "$vhost (mauth-admin $options)" => sub {
        plan tests => scalar(@leaves) + grep { $_->[1] } @leaves;
        for my $leaf (@leaves) {
            my ($name, $has_chain) = @$leaf;
            for my $chain ($has_chain ? (1, 0) : (1)) {
                my $sent = $chain ? "$name-certchain.pem" : "$name.pem (leaf alone)";
                my $res = mtls_request(vhost => $vhost, path => '/free/env.cgi',
                                       cert => $name, chain => $chain);
                my $module = $res->{headers}->{'x-test-mauth-client-verify'} // '';
                my ($tool, $said) = admin_verdict(
                    $admin, @$global, 'verify',
                    '--chain', pki($chain ? "$name-certchain.pem" : "$name.pem"), @$verify);
                $seen{$module}++;
                is($tool, $module, "$sent: mauth-admin says what the module says ($module)")
                    or diag("module: status $res->{status}"
                            . ($res->{error} ? " ($res->{error})" : '')
                            . ", MAUTH_CLIENT_VERIFY '$module'\nmauth-admin: $said");
            }
        }
    };
}

# The comparison means something only where the answers differ from chain
# to chain and from vhost to vhost: every kind of verdict the PKI can give
# came up, so a tool that always said the same would have been caught.
my @kinds = qw(SUCCESS FAILED:expired FAILED:not-yet-valid FAILED:untrusted-issuer
               FAILED:self-signed FAILED:wrong-purpose FAILED:revoked
               FAILED:issuer-revoked FAILED:chain-too-long
               FAILED:revocation-unavailable);
my @missing = grep { !$seen{$_} } @kinds;
ok(!@missing, 'every kind of verdict came up in the comparison')
    or diag("never seen: @missing; seen: "
            . join(', ', map { "$_ x$seen{$_}" } sort keys %seen));
