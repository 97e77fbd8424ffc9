#!/usr/bin/perl
# Converts strings with Perl's MARC::Charset, for the differential tests
# (tests/charset_differential.cpp).
#
#   perl marc_charset.pl to-utf8|to-marc8 IN OUT
#
# IN holds strings, each a 4-byte big-endian length and its bytes. OUT gets,
# for each, one status byte ('1': converted, '0': MARC::Charset refused it)
# and the result as a length and bytes (UTF-8 on the way to UTF-8).
use strict;
use warnings;
use MARC::Charset qw(marc8_to_utf8 utf8_to_marc8);
use Encode qw(encode decode);

my ($mode, $in, $out) = @ARGV;
die "usage: $0 to-utf8|to-marc8 IN OUT\n" unless defined $out && ($mode eq 'to-utf8' || $mode eq 'to-marc8');
open(my $fi, '<:raw', $in) or die "$in: $!\n";
open(my $fo, '>:raw', $out) or die "$out: $!\n";
local $SIG{__WARN__} = sub { };    # MARC::Charset warns about every refusal
MARC::Charset->ignore_errors(0);
while (read($fi, my $head, 4) == 4) {
    my $len = unpack('N', $head);
    my $bytes = '';
    read($fi, $bytes, $len) == $len or die "$in: truncated\n" if $len;
    my $r;
    if ($mode eq 'to-utf8') {
        $r = marc8_to_utf8($bytes);
        $r = encode('UTF-8', $r) if defined $r;
    } else {
        $r = eval { utf8_to_marc8(decode('UTF-8', $bytes)) };
        $r = undef if defined $r && !utf8::downgrade($r, 1);
    }
    if (defined $r) {
        print $fo '1', pack('N', length($r)), $r;
    } else {
        print $fo '0', pack('N', 0);
    }
}
close($fo) or die "$out: $!\n";
