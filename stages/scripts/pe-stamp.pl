#!/usr/bin/perl
# pe-stamp.pl FILE EPOCH: make a PE image objcopy wrote reproducible.
# binutils 2.40's objcopy stamps the wall clock into the COFF header's
# TimeDateStamp and ignores SOURCE_DATE_EPOCH; this puts EPOCH there
# instead, pads the file with zeros to a multiple of 8 bytes (where
# sbsign would pad before appending its certificate table, so that
# `sbattach --remove` on the signed image gives back these exact bytes)
# and recomputes the optional header's CheckSum the way the PE format
# defines it (16-bit one's-complement sum of the file with the field
# zeroed, plus the file's length).
use strict;
use warnings;
my ($file, $epoch) = @ARGV;
die "usage: pe-stamp.pl FILE EPOCH\n" unless defined $epoch && $epoch =~ /^\d+$/;
open(my $fh, '+<:raw', $file) or die "$file: $!\n";
my $b = do { local $/; <$fh> };
my $pe = unpack('V', substr($b, 0x3c, 4));
die "$file: not a PE image\n" unless substr($b, $pe, 4) eq "PE\0\0";
$b .= "\0" x ((8 - length($b) % 8) % 8);
substr($b, $pe + 8, 4) = pack('V', $epoch);    # COFF TimeDateStamp
my $ck = $pe + 24 + 64;                          # optional header CheckSum
substr($b, $ck, 4) = pack('V', 0);
my $sum = 0;
for my $w (unpack('v*', $b)) {
	$sum += $w;
	$sum = ($sum & 0xffff) + ($sum >> 16);
}
substr($b, $ck, 4) = pack('V', ($sum + length($b)) & 0xffffffff);
seek($fh, 0, 0) or die "$file: $!\n";
print $fh $b or die "$file: $!\n";
close($fh) or die "$file: $!\n";
