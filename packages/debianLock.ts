// Written by `xbuild lock update`: the same data as debian.lock.json, importable by BUILD.ts.
/* eslint-disable */
export const debianLock = {
  "comment": "Written by `xbuild lock update` from the Debian archive this machine's apt is configured for; do not edit (see packages/README.md).",
  "format": 2,
  "suite": "bookworm",
  "arch": "amd64",
  "buildProfiles": [
    "nobiarch"
  ],
  "set": [
    "hello",
    "zlib",
    "dash"
  ],
  "toolchainSources": [
    "glibc"
  ],
  "sources": {
    "dash": {
      "version": "0.5.12-2",
      "files": [
        {
          "name": "dash_0.5.12-2.dsc",
          "archive": "debian",
          "path": "pool/main/d/dash/dash_0.5.12-2.dsc",
          "sha256": "25c0fb805c735fdb7470ce485ce76dae1a7b6c04efdfb0fdac5eab921cbd78a5",
          "size": 1520
        },
        {
          "name": "dash_0.5.12.orig.tar.gz",
          "archive": "debian",
          "path": "pool/main/d/dash/dash_0.5.12.orig.tar.gz",
          "sha256": "6a474ac46e8b0b32916c4c60df694c82058d3297d8b385b74508030ca4a8f28a",
          "size": 246054
        },
        {
          "name": "dash_0.5.12-2.debian.tar.xz",
          "archive": "debian",
          "path": "pool/main/d/dash/dash_0.5.12-2.debian.tar.xz",
          "sha256": "bddd9129215eb60f4cc43a0ffdcc42d8f25e0bd09730520d599a2b7bc492e375",
          "size": 38512
        }
      ],
      "buildDepends": [
        "autoconf",
        "automake",
        "autopoint",
        "autotools-dev",
        "bsdextrautils",
        "debhelper",
        "dh-autoreconf",
        "dh-strip-nondeterminism",
        "dwz",
        "file",
        "gettext",
        "gettext-base",
        "groff-base",
        "intltool-debian",
        "libarchive-zip-perl",
        "libdebhelper-perl",
        "libelf1",
        "libfile-stripnondeterminism-perl",
        "libicu72",
        "libmagic-mgc",
        "libmagic1",
        "libpipeline1",
        "libsub-override-perl",
        "libtool",
        "libuchardet0",
        "libxml2",
        "m4",
        "man-db",
        "po-debconf",
        "sensible-utils"
      ],
      "debs": [
        "dash"
      ]
    },
    "glibc": {
      "version": "2.36-9+deb12u14",
      "files": [
        {
          "name": "glibc_2.36-9+deb12u14.dsc",
          "archive": "debian",
          "path": "pool/main/g/glibc/glibc_2.36-9+deb12u14.dsc",
          "sha256": "cfe1f0b8dc1fa211ce5a45b3725cc38b29f88667f1140ebdca6de35cf9c6f1fd",
          "size": 9765
        },
        {
          "name": "glibc_2.36.orig.tar.xz",
          "archive": "debian",
          "path": "pool/main/g/glibc/glibc_2.36.orig.tar.xz",
          "sha256": "a543c02070d46ccaf866957efd13f10c924daa74c86a90a0254db09a92a708ee",
          "size": 19363988
        },
        {
          "name": "glibc_2.36-9+deb12u14.debian.tar.xz",
          "archive": "debian",
          "path": "pool/main/g/glibc/glibc_2.36-9+deb12u14.debian.tar.xz",
          "sha256": "cf4ac9cd98185452cae3ef34e2e4ee12753e3d93fd0c62c61396d4a47eec902f",
          "size": 918488
        }
      ],
      "buildDepends": [
        "bison",
        "gawk",
        "libexpat1",
        "libncursesw6",
        "libpython3-stdlib",
        "libpython3.11-minimal",
        "libpython3.11-stdlib",
        "libreadline8",
        "libsigsegv2",
        "libsqlite3-0",
        "m4",
        "media-types",
        "python3",
        "python3-minimal",
        "python3.11",
        "python3.11-minimal",
        "readline-common"
      ],
      "debs": [
        "libc-bin",
        "libc-dev-bin",
        "libc-devtools",
        "libc6",
        "libc6-dbg",
        "libc6-dev",
        "locales-all",
        "nscd"
      ]
    },
    "hello": {
      "version": "2.10-3",
      "files": [
        {
          "name": "hello_2.10-3.dsc",
          "archive": "debian",
          "path": "pool/main/h/hello/hello_2.10-3.dsc",
          "sha256": "75296f5ef618ae2f1849e22b142a2b5ab52c452ebefa4e7b0564c44617db3790",
          "size": 1721
        },
        {
          "name": "hello_2.10.orig.tar.gz",
          "archive": "debian",
          "path": "pool/main/h/hello/hello_2.10.orig.tar.gz",
          "sha256": "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b",
          "size": 725946
        },
        {
          "name": "hello_2.10.orig.tar.gz.asc",
          "archive": "debian",
          "path": "pool/main/h/hello/hello_2.10.orig.tar.gz.asc",
          "sha256": "4ea69de913428a4034d30dcdcb34ab84f5c4a76acf9040f3091f0d3fac411b60",
          "size": 819
        },
        {
          "name": "hello_2.10-3.debian.tar.xz",
          "archive": "debian",
          "path": "pool/main/h/hello/hello_2.10-3.debian.tar.xz",
          "sha256": "60ee7a466808301fbaa7fea2490b5e7a6d86f598956fb3e79c71b3295dc1f249",
          "size": 12684
        }
      ],
      "buildDepends": [
        "autoconf",
        "automake",
        "autopoint",
        "autotools-dev",
        "bsdextrautils",
        "debhelper",
        "dh-autoreconf",
        "dh-strip-nondeterminism",
        "dwz",
        "file",
        "gettext",
        "gettext-base",
        "groff-base",
        "help2man",
        "intltool-debian",
        "libarchive-zip-perl",
        "libdebhelper-perl",
        "libelf1",
        "libfile-stripnondeterminism-perl",
        "libicu72",
        "liblocale-gettext-perl",
        "libmagic-mgc",
        "libmagic1",
        "libpipeline1",
        "libsub-override-perl",
        "libtext-unidecode-perl",
        "libtool",
        "libuchardet0",
        "libxml-libxml-perl",
        "libxml-namespacesupport-perl",
        "libxml-sax-base-perl",
        "libxml-sax-perl",
        "libxml2",
        "m4",
        "man-db",
        "po-debconf",
        "sensible-utils",
        "tex-common",
        "texinfo",
        "ucf"
      ],
      "debs": [
        "hello"
      ]
    },
    "zlib": {
      "version": "1:1.2.13.dfsg-1",
      "files": [
        {
          "name": "zlib_1.2.13.dfsg-1.dsc",
          "archive": "debian",
          "path": "pool/main/z/zlib/zlib_1.2.13.dfsg-1.dsc",
          "sha256": "3fa1e6b2fc525062aa88207dda52fed8e045373c809d362fe8a2bfbf7cf515a8",
          "size": 2399
        },
        {
          "name": "zlib_1.2.13.dfsg.orig.tar.bz2",
          "archive": "debian",
          "path": "pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2",
          "sha256": "71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1",
          "size": 1239825
        },
        {
          "name": "zlib_1.2.13.dfsg-1.debian.tar.xz",
          "archive": "debian",
          "path": "pool/main/z/zlib/zlib_1.2.13.dfsg-1.debian.tar.xz",
          "sha256": "f66cf3d4f2d7defcd4d1fd1fb0a11ee39f1e01b42ec7d059c9dc5c1695133c44",
          "size": 15700
        }
      ],
      "buildDepends": [
        "autoconf",
        "automake",
        "autopoint",
        "autotools-dev",
        "bsdextrautils",
        "debhelper",
        "dh-autoreconf",
        "dh-strip-nondeterminism",
        "dwz",
        "file",
        "gettext",
        "gettext-base",
        "groff-base",
        "intltool-debian",
        "libarchive-zip-perl",
        "libdebhelper-perl",
        "libelf1",
        "libfile-stripnondeterminism-perl",
        "libicu72",
        "libmagic-mgc",
        "libmagic1",
        "libpipeline1",
        "libsub-override-perl",
        "libtool",
        "libuchardet0",
        "libxml2",
        "m4",
        "man-db",
        "po-debconf",
        "sensible-utils"
      ],
      "debs": [
        "zlib1g",
        "zlib1g-dev"
      ]
    }
  },
  "buildRoot": {
    "variant": "buildd",
    "packages": [
      {
        "name": "adduser",
        "version": "3.134",
        "arch": "all",
        "source": "adduser",
        "archive": "debian",
        "path": "pool/main/a/adduser/adduser_3.134_all.deb",
        "sha256": "c24fe4eb8e60d8632d72ed104cce7c92cff200847c897dc8ba764b6c47b519e0",
        "size": 183272
      },
      {
        "name": "apt",
        "version": "2.6.2",
        "arch": "amd64",
        "source": "apt",
        "archive": "debian-security",
        "path": "pool/updates/main/a/apt/apt_2.6.2_amd64.deb",
        "sha256": "796fc7fe18866f5b1fb27a115d7339e549d71b7ddbc15b8d6fc4226c243e96d1",
        "size": 1373116
      },
      {
        "name": "base-files",
        "version": "12.4+deb12u15",
        "arch": "amd64",
        "source": "base-files",
        "archive": "debian",
        "path": "pool/main/b/base-files/base-files_12.4+deb12u15_amd64.deb",
        "sha256": "3eb1ea6d85488f488cc2a163b98ad640ef88cee4c79287cf14e361aaf6206f47",
        "size": 70936
      },
      {
        "name": "base-passwd",
        "version": "3.6.1",
        "arch": "amd64",
        "source": "base-passwd",
        "archive": "debian",
        "path": "pool/main/b/base-passwd/base-passwd_3.6.1_amd64.deb",
        "sha256": "908ca1b35125f49125ae56945a72bc11ce0fcec85a8d980d10d83bb3a610f518",
        "size": 59972
      },
      {
        "name": "bash",
        "version": "5.2.15-2+b13",
        "arch": "amd64",
        "source": "bash",
        "archive": "debian",
        "path": "pool/main/b/bash/bash_5.2.15-2+b13_amd64.deb",
        "sha256": "82130bb6a560cd2a7234d8018baf73f188f5dd56413d5aa0accc987b2197a6a1",
        "size": 1490652
      },
      {
        "name": "binutils",
        "version": "2.40-2",
        "arch": "amd64",
        "source": "binutils",
        "archive": "debian",
        "path": "pool/main/b/binutils/binutils_2.40-2_amd64.deb",
        "sha256": "83c3e20b53e1fbd84d764c3ba27d26a0376e361ae5d7fb37120196934dd87424",
        "size": 64980
      },
      {
        "name": "binutils-common",
        "version": "2.40-2",
        "arch": "amd64",
        "source": "binutils",
        "archive": "debian",
        "path": "pool/main/b/binutils/binutils-common_2.40-2_amd64.deb",
        "sha256": "ab314134f43a0891a48f69a9bc33d825da748fa5e0ba2bebb7a5c491b026f1a0",
        "size": 2486664
      },
      {
        "name": "binutils-x86-64-linux-gnu",
        "version": "2.40-2",
        "arch": "amd64",
        "source": "binutils",
        "archive": "debian",
        "path": "pool/main/b/binutils/binutils-x86-64-linux-gnu_2.40-2_amd64.deb",
        "sha256": "2d7ea8a570d768224d7f2424abbe6f373d2154865a1fa7f56c80d43ecf492521",
        "size": 2245848
      },
      {
        "name": "bsdutils",
        "version": "1:2.38.1-5+deb12u3",
        "arch": "amd64",
        "source": "util-linux",
        "archive": "debian",
        "path": "pool/main/u/util-linux/bsdutils_2.38.1-5+deb12u3_amd64.deb",
        "sha256": "6cae172b006a4603e710e046c3acba8d98d36748894cbe3eeda31d415fec331e",
        "size": 94412
      },
      {
        "name": "build-essential",
        "version": "12.9",
        "arch": "amd64",
        "source": "build-essential",
        "archive": "debian",
        "path": "pool/main/b/build-essential/build-essential_12.9_amd64.deb",
        "sha256": "bbfd38de41898a06326f2a6ce4cc43e8e399f5566381231065b01d70499d5ba5",
        "size": 7704
      },
      {
        "name": "bzip2",
        "version": "1.0.8-5+b1",
        "arch": "amd64",
        "source": "bzip2",
        "archive": "debian",
        "path": "pool/main/b/bzip2/bzip2_1.0.8-5+b1_amd64.deb",
        "sha256": "438871b3f5c5c7a357a9840951dab9dab8db7eb1ff760a563226fafa111b99e5",
        "size": 49804
      },
      {
        "name": "coreutils",
        "version": "9.1-1",
        "arch": "amd64",
        "source": "coreutils",
        "archive": "debian",
        "path": "pool/main/c/coreutils/coreutils_9.1-1_amd64.deb",
        "sha256": "61038f857e346e8500adf53a2a0a20859f4d3a3b51570cc876b153a2d51a3091",
        "size": 2896560
      },
      {
        "name": "cpp",
        "version": "4:12.2.0-3",
        "arch": "amd64",
        "source": "gcc-defaults",
        "archive": "debian",
        "path": "pool/main/g/gcc-defaults/cpp_12.2.0-3_amd64.deb",
        "sha256": "a63db920f7aa1857a57beab185423deffb6111fa09437a99bbb4ef724fb7ba78",
        "size": 6836
      },
      {
        "name": "cpp-12",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/cpp-12_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "fedbb98e877adde83c983c6071537ea25ac52b277ac6e4637d85025949ca1454",
        "size": 9767788
      },
      {
        "name": "dash",
        "version": "0.5.12-2",
        "arch": "amd64",
        "source": "dash",
        "archive": "debian",
        "path": "pool/main/d/dash/dash_0.5.12-2_amd64.deb",
        "sha256": "33ea40061da2f1a861ec46212b2b6a34f0776a049b1a3f0abce2fb8cb994258f",
        "size": 91848
      },
      {
        "name": "debconf",
        "version": "1.5.82",
        "arch": "all",
        "source": "debconf",
        "archive": "debian",
        "path": "pool/main/d/debconf/debconf_1.5.82_all.deb",
        "sha256": "74ab14194a3762b2fc717917dcfda42929ab98e3c59295a063344dc551cd7cc8",
        "size": 121212
      },
      {
        "name": "debian-archive-keyring",
        "version": "2023.3+deb12u2",
        "arch": "all",
        "source": "debian-archive-keyring",
        "archive": "debian",
        "path": "pool/main/d/debian-archive-keyring/debian-archive-keyring_2023.3+deb12u2_all.deb",
        "sha256": "f699e2f88dca05212f2a452b58475f2993cb6993dfbafb1d0205a3291eb8b4b8",
        "size": 178572
      },
      {
        "name": "debianutils",
        "version": "5.7-0.5~deb12u1",
        "arch": "amd64",
        "source": "debianutils",
        "archive": "debian",
        "path": "pool/main/d/debianutils/debianutils_5.7-0.5~deb12u1_amd64.deb",
        "sha256": "55f951359670eb3236c9e2ccd5fac9ccb3db734f5a22aff21589e7a30aee48c9",
        "size": 102588
      },
      {
        "name": "diffutils",
        "version": "1:3.8-4",
        "arch": "amd64",
        "source": "diffutils",
        "archive": "debian",
        "path": "pool/main/d/diffutils/diffutils_3.8-4_amd64.deb",
        "sha256": "8bdfedc14c1035e3750e9f055ac9c1ecd9b5d05d9e6dc6466c4e9237eef407dd",
        "size": 351740
      },
      {
        "name": "dpkg",
        "version": "1.21.23",
        "arch": "amd64",
        "source": "dpkg",
        "archive": "debian",
        "path": "pool/main/d/dpkg/dpkg_1.21.23_amd64.deb",
        "sha256": "f89e9f8d1a4a50ade44be3ed59a6ec55460fce205d2f8520c5c492137c5b609b",
        "size": 1567804
      },
      {
        "name": "dpkg-dev",
        "version": "1.21.23",
        "arch": "all",
        "source": "dpkg",
        "archive": "debian",
        "path": "pool/main/d/dpkg/dpkg-dev_1.21.23_all.deb",
        "sha256": "43547075395dbe9290e6a5f34e9ba93aa5dcf7dfc5698c3d30cc3c85e5f7e3de",
        "size": 1354256
      },
      {
        "name": "e2fsprogs",
        "version": "1.47.0-2+b2",
        "arch": "amd64",
        "source": "e2fsprogs",
        "archive": "debian",
        "path": "pool/main/e/e2fsprogs/e2fsprogs_1.47.0-2+b2_amd64.deb",
        "sha256": "fedd424691c08ef0739729026be298e7be8236337bf8e031b3c7ec66794e6fc2",
        "size": 571920
      },
      {
        "name": "findutils",
        "version": "4.9.0-4",
        "arch": "amd64",
        "source": "findutils",
        "archive": "debian",
        "path": "pool/main/f/findutils/findutils_4.9.0-4_amd64.deb",
        "sha256": "5dd86bd0af4aa73f067dfd6b8339dd868f2dd84056aa79db29d1206d4fbc5e04",
        "size": 635500
      },
      {
        "name": "g++",
        "version": "4:12.2.0-3",
        "arch": "amd64",
        "source": "gcc-defaults",
        "archive": "debian",
        "path": "pool/main/g/gcc-defaults/g++_12.2.0-3_amd64.deb",
        "sha256": "26c451a660728cf7c15548a281e17eef2f36fab28499371e83fc2d3accb499d7",
        "size": 1356
      },
      {
        "name": "g++-12",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/g++-12_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "68b182badae4ace7d472f1393c559d3532a95a2d70817498b10bb481d2627251",
        "size": 10694076
      },
      {
        "name": "gcc",
        "version": "4:12.2.0-3",
        "arch": "amd64",
        "source": "gcc-defaults",
        "archive": "debian",
        "path": "pool/main/g/gcc-defaults/gcc_12.2.0-3_amd64.deb",
        "sha256": "bb63b0fb2797e2a3a294dab8a02614930c557ec1f4ea96637c244b8b5f87e630",
        "size": 5216
      },
      {
        "name": "gcc-12",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/gcc-12_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "b46f33cc2ec245e435e043807038cecf4b201ef004800e9dfc1455240360e49d",
        "size": 19268852
      },
      {
        "name": "gcc-12-base",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/gcc-12-base_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "1896a2aacf4ad681ff5eacc24a5b0ca4d5d9c9b9c9e4b6de5197bc1e116ea619",
        "size": 37596
      },
      {
        "name": "gpgv",
        "version": "2.2.40-1.1+deb12u2",
        "arch": "amd64",
        "source": "gnupg2",
        "archive": "debian",
        "path": "pool/main/g/gnupg2/gpgv_2.2.40-1.1+deb12u2_amd64.deb",
        "sha256": "2966dc0a0b89caa65c3b4a386fa4ed0b6ca2239cd51ec40e6920507aedcdb14a",
        "size": 648768
      },
      {
        "name": "grep",
        "version": "3.8-5",
        "arch": "amd64",
        "source": "grep",
        "archive": "debian",
        "path": "pool/main/g/grep/grep_3.8-5_amd64.deb",
        "sha256": "3264acea728df3c48a54f20e9291b965130e306b9d00adac76647049da7196df",
        "size": 421444
      },
      {
        "name": "gzip",
        "version": "1.12-1",
        "arch": "amd64",
        "source": "gzip",
        "archive": "debian",
        "path": "pool/main/g/gzip/gzip_1.12-1_amd64.deb",
        "sha256": "eabec1dde2834f72540d7b93fc5df2625f52611c06d93d61f5cdb12480e0e6a3",
        "size": 140364
      },
      {
        "name": "hostname",
        "version": "3.23+nmu1",
        "arch": "amd64",
        "source": "hostname",
        "archive": "debian",
        "path": "pool/main/h/hostname/hostname_3.23+nmu1_amd64.deb",
        "sha256": "17d9a2f3c05004499d80e180d2440fd716f84c32b65f09d96c9a024af4d1d0e7",
        "size": 10500
      },
      {
        "name": "init-system-helpers",
        "version": "1.65.2+deb12u1",
        "arch": "all",
        "source": "init-system-helpers",
        "archive": "debian",
        "path": "pool/main/i/init-system-helpers/init-system-helpers_1.65.2+deb12u1_all.deb",
        "sha256": "afab482524c64e4e256eb5cab43c1a96dc493ec476d94f19f1a5ec3de5fa0fef",
        "size": 39020
      },
      {
        "name": "libacl1",
        "version": "2.3.1-3",
        "arch": "amd64",
        "source": "acl",
        "archive": "debian",
        "path": "pool/main/a/acl/libacl1_2.3.1-3_amd64.deb",
        "sha256": "8be9df5795114bfe90e2be3d208ef47a5edd3fc7b3e20d387a597486d444e5e2",
        "size": 31488
      },
      {
        "name": "libapt-pkg6.0",
        "version": "2.6.2",
        "arch": "amd64",
        "source": "apt",
        "archive": "debian-security",
        "path": "pool/updates/main/a/apt/libapt-pkg6.0_2.6.2_amd64.deb",
        "sha256": "023a7017b75295fc7037c7a4352847f9516a36a82cc5e1650d6832d238860913",
        "size": 906972
      },
      {
        "name": "libasan8",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libasan8_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "e7ac5d797d7d438a130674a8e463530f06aa02ecf919ca054d75eaa2f7849ec7",
        "size": 2192652
      },
      {
        "name": "libatomic1",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libatomic1_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "fbd4e154a6b444229ea002cc209df099209c0adc09102e5fd21239a3d2b55e2d",
        "size": 9376
      },
      {
        "name": "libattr1",
        "version": "1:2.5.1-4",
        "arch": "amd64",
        "source": "attr",
        "archive": "debian",
        "path": "pool/main/a/attr/libattr1_2.5.1-4_amd64.deb",
        "sha256": "c4945123d66d0503ba42e2fc0585abc76d0838978c6d277b9cc37a4da25d1a34",
        "size": 22164
      },
      {
        "name": "libaudit-common",
        "version": "1:3.0.9-1",
        "arch": "all",
        "source": "audit",
        "archive": "debian",
        "path": "pool/main/a/audit/libaudit-common_3.0.9-1_all.deb",
        "sha256": "17d0341ca6ce604ce59c296780ac2c2a24141a769823c50669af942c025e6591",
        "size": 10448
      },
      {
        "name": "libaudit1",
        "version": "1:3.0.9-1",
        "arch": "amd64",
        "source": "audit",
        "archive": "debian",
        "path": "pool/main/a/audit/libaudit1_3.0.9-1_amd64.deb",
        "sha256": "30954df4b5a7c505661ba8ae5e6ea94f5805e408899fb400783bb166eb5ff306",
        "size": 46764
      },
      {
        "name": "libbinutils",
        "version": "2.40-2",
        "arch": "amd64",
        "source": "binutils",
        "archive": "debian",
        "path": "pool/main/b/binutils/libbinutils_2.40-2_amd64.deb",
        "sha256": "fcf55b99e5f8a78f3c8ce9b6957f1024f394cf20c196b100d308a57e43547710",
        "size": 572104
      },
      {
        "name": "libblkid1",
        "version": "2.38.1-5+deb12u3",
        "arch": "amd64",
        "source": "util-linux",
        "archive": "debian",
        "path": "pool/main/u/util-linux/libblkid1_2.38.1-5+deb12u3_amd64.deb",
        "sha256": "5a083377f29191cafcdf0f91ec124349b4a7895b531556633a136e43c6d53943",
        "size": 147380
      },
      {
        "name": "libbz2-1.0",
        "version": "1.0.8-5+b1",
        "arch": "amd64",
        "source": "bzip2",
        "archive": "debian",
        "path": "pool/main/b/bzip2/libbz2-1.0_1.0.8-5+b1_amd64.deb",
        "sha256": "54149da3f44b22d523b26b692033b84503d822cc5122fed606ea69cc83ca5aeb",
        "size": 47348
      },
      {
        "name": "libc-bin",
        "version": "2.36-9+deb12u14",
        "arch": "amd64",
        "source": "glibc",
        "archive": "debian",
        "path": "pool/main/g/glibc/libc-bin_2.36-9+deb12u14_amd64.deb",
        "sha256": "e667401af91fad95f15b3ebd25d1abd8373fd18b00dc32219678413170544e84",
        "size": 609144
      },
      {
        "name": "libc-dev-bin",
        "version": "2.36-9+deb12u14",
        "arch": "amd64",
        "source": "glibc",
        "archive": "debian",
        "path": "pool/main/g/glibc/libc-dev-bin_2.36-9+deb12u14_amd64.deb",
        "sha256": "f61d923b703401023bec2ac3d9d1c9ad7341930fbe11736f7f5ef64b489d03c4",
        "size": 48056
      },
      {
        "name": "libc6",
        "version": "2.36-9+deb12u14",
        "arch": "amd64",
        "source": "glibc",
        "archive": "debian",
        "path": "pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb",
        "sha256": "ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf",
        "size": 2759320
      },
      {
        "name": "libc6-dev",
        "version": "2.36-9+deb12u14",
        "arch": "amd64",
        "source": "glibc",
        "archive": "debian",
        "path": "pool/main/g/glibc/libc6-dev_2.36-9+deb12u14_amd64.deb",
        "sha256": "0218fc2befcd784c1b0c6292c0a137ce89fad054efaa579ad083bee0f2c01aae",
        "size": 1903668
      },
      {
        "name": "libcap-ng0",
        "version": "0.8.3-1+b3",
        "arch": "amd64",
        "source": "libcap-ng",
        "archive": "debian",
        "path": "pool/main/libc/libcap-ng/libcap-ng0_0.8.3-1+b3_amd64.deb",
        "sha256": "b4b54769c77e4a71c8b33aee4d600ba28a9994a1c6f60d55d4ebe7fc44882e07",
        "size": 17068
      },
      {
        "name": "libcap2",
        "version": "1:2.66-4+deb12u3+b1",
        "arch": "amd64",
        "source": "libcap2",
        "archive": "debian",
        "path": "pool/main/libc/libcap2/libcap2_2.66-4+deb12u3+b1_amd64.deb",
        "sha256": "8d684c673e7483802a5c447834b0df6fce006eb3a7109e1be412f5ad425bb24f",
        "size": 27708
      },
      {
        "name": "libcc1-0",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libcc1-0_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "4ee6009633003f47de98333ea7f7d8835ec563ae2ac4f30251dbfee04d75d46b",
        "size": 41736
      },
      {
        "name": "libcom-err2",
        "version": "1.47.0-2+b2",
        "arch": "amd64",
        "source": "e2fsprogs",
        "archive": "debian",
        "path": "pool/main/e/e2fsprogs/libcom-err2_1.47.0-2+b2_amd64.deb",
        "sha256": "a2bac7015e78fbc0c504df3e441f3a22292f1d2d77f9ccda760057f3690e22f2",
        "size": 20044
      },
      {
        "name": "libcrypt-dev",
        "version": "1:4.4.33-2",
        "arch": "amd64",
        "source": "libxcrypt",
        "archive": "debian",
        "path": "pool/main/libx/libxcrypt/libcrypt-dev_4.4.33-2_amd64.deb",
        "sha256": "81ccd29130f75a9e3adabc80e61921abff42f76761e1f792fa2d1bb69af7f52f",
        "size": 118144
      },
      {
        "name": "libcrypt1",
        "version": "1:4.4.33-2",
        "arch": "amd64",
        "source": "libxcrypt",
        "archive": "debian",
        "path": "pool/main/libx/libxcrypt/libcrypt1_4.4.33-2_amd64.deb",
        "sha256": "f5f60a5cdfd4e4eaa9438ade5078a57741a7a78d659fcb0c701204f523e8bd29",
        "size": 89464
      },
      {
        "name": "libctf-nobfd0",
        "version": "2.40-2",
        "arch": "amd64",
        "source": "binutils",
        "archive": "debian",
        "path": "pool/main/b/binutils/libctf-nobfd0_2.40-2_amd64.deb",
        "sha256": "ef1dfcf22de41ea90ebd3d505447ccccd999e96b85aa777a1d7d981dc3b347aa",
        "size": 153384
      },
      {
        "name": "libctf0",
        "version": "2.40-2",
        "arch": "amd64",
        "source": "binutils",
        "archive": "debian",
        "path": "pool/main/b/binutils/libctf0_2.40-2_amd64.deb",
        "sha256": "3fb7b6f326be3fae4a87a3d33b9269bd06c1e4346a24bd737f265067e3b7427f",
        "size": 89796
      },
      {
        "name": "libdb5.3",
        "version": "5.3.28+dfsg2-1",
        "arch": "amd64",
        "source": "db5.3",
        "archive": "debian",
        "path": "pool/main/d/db5.3/libdb5.3_5.3.28+dfsg2-1_amd64.deb",
        "sha256": "7dc5127b8dd0da80e992ba594954c005ae4359d839a24eb65d0d8129b5235c84",
        "size": 697412
      },
      {
        "name": "libdebconfclient0",
        "version": "0.270",
        "arch": "amd64",
        "source": "cdebconf",
        "archive": "debian",
        "path": "pool/main/c/cdebconf/libdebconfclient0_0.270_amd64.deb",
        "sha256": "7d2b2b700bae0ba67a13655fabba6a98da3f6ce7dee43d1ee0ac433b7ca1d947",
        "size": 9900
      },
      {
        "name": "libdpkg-perl",
        "version": "1.21.23",
        "arch": "all",
        "source": "dpkg",
        "archive": "debian",
        "path": "pool/main/d/dpkg/libdpkg-perl_1.21.23_all.deb",
        "sha256": "3f817fd9266ce2638c64b5df77da11f98f5df4f3301e1c04140be16790f72112",
        "size": 603796
      },
      {
        "name": "libext2fs2",
        "version": "1.47.0-2+b2",
        "arch": "amd64",
        "source": "e2fsprogs",
        "archive": "debian",
        "path": "pool/main/e/e2fsprogs/libext2fs2_1.47.0-2+b2_amd64.deb",
        "sha256": "dff731f2318df99da4b8bf5f330f415f95b94c609bac29e7b2edba0a38f22a98",
        "size": 204900
      },
      {
        "name": "libffi8",
        "version": "3.4.4-1",
        "arch": "amd64",
        "source": "libffi",
        "archive": "debian",
        "path": "pool/main/libf/libffi/libffi8_3.4.4-1_amd64.deb",
        "sha256": "6d9f6c25c30efccce6d4bceaa48ea86c329a3432abb360a141f76ac223a4c34a",
        "size": 22856
      },
      {
        "name": "libfile-find-rule-perl",
        "version": "0.34-4~deb12u1",
        "arch": "all",
        "source": "libfile-find-rule-perl",
        "archive": "debian",
        "path": "pool/main/libf/libfile-find-rule-perl/libfile-find-rule-perl_0.34-4~deb12u1_all.deb",
        "sha256": "d941143c65e47eff192195ed1b8367d3d74e5a0de668fc5ae9d787383ec48c23",
        "size": 26736
      },
      {
        "name": "libgcc-12-dev",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libgcc-12-dev_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "d720259380a84f2ffc6fe516eff5cbe9c8a005138e8d6a5748747ba4b3404a82",
        "size": 2437204
      },
      {
        "name": "libgcc-s1",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7",
        "size": 49856
      },
      {
        "name": "libgcrypt20",
        "version": "1.10.1-3+deb12u1",
        "arch": "amd64",
        "source": "libgcrypt20",
        "archive": "debian",
        "path": "pool/main/libg/libgcrypt20/libgcrypt20_1.10.1-3+deb12u1_amd64.deb",
        "sha256": "e7a56552139c693904a6f9712234c05fe918353273a7cbdb5e62f423ad71bb97",
        "size": 696204
      },
      {
        "name": "libgdbm-compat4",
        "version": "1.23-3",
        "arch": "amd64",
        "source": "gdbm",
        "archive": "debian",
        "path": "pool/main/g/gdbm/libgdbm-compat4_1.23-3_amd64.deb",
        "sha256": "4af36a590b68d415a78d9238b932b6a4579f515ec8a8016597498acff5b515a4",
        "size": 48156
      },
      {
        "name": "libgdbm6",
        "version": "1.23-3",
        "arch": "amd64",
        "source": "gdbm",
        "archive": "debian",
        "path": "pool/main/g/gdbm/libgdbm6_1.23-3_amd64.deb",
        "sha256": "95fe4a1336532450e67bd067892f46eaa484139919ea8d067a9ffcbf5a4bf883",
        "size": 72248
      },
      {
        "name": "libgmp10",
        "version": "2:6.2.1+dfsg1-1.1",
        "arch": "amd64",
        "source": "gmp",
        "archive": "debian",
        "path": "pool/main/g/gmp/libgmp10_6.2.1+dfsg1-1.1_amd64.deb",
        "sha256": "187aedef2ed763f425c1e523753b9719677633c7eede660401739e9c893482bd",
        "size": 562588
      },
      {
        "name": "libgnutls30",
        "version": "3.7.9-2+deb12u7",
        "arch": "amd64",
        "source": "gnutls28",
        "archive": "debian",
        "path": "pool/main/g/gnutls28/libgnutls30_3.7.9-2+deb12u7_amd64.deb",
        "sha256": "30abec8c824feb1d2d7e9000a34083cccd19d139625e1b21547e3ac53b922f8e",
        "size": 1409084
      },
      {
        "name": "libgomp1",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libgomp1_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "48fec46bda7f5b1638b9e959889bfbc20491247d402d120bb152687eb48143d7",
        "size": 115772
      },
      {
        "name": "libgpg-error0",
        "version": "1.46-1",
        "arch": "amd64",
        "source": "libgpg-error",
        "archive": "debian",
        "path": "pool/main/libg/libgpg-error/libgpg-error0_1.46-1_amd64.deb",
        "sha256": "89944ee11d7370ce6ef46fc52f094c4a6512eff8943ec4c6ebefeae6360ceada",
        "size": 76888
      },
      {
        "name": "libgprofng0",
        "version": "2.40-2",
        "arch": "amd64",
        "source": "binutils",
        "archive": "debian",
        "path": "pool/main/b/binutils/libgprofng0_2.40-2_amd64.deb",
        "sha256": "a3c4092d84f19d13caf90f3c96eec53db8819f0e3a5247434944d71ed75fa53d",
        "size": 812120
      },
      {
        "name": "libgssapi-krb5-2",
        "version": "1.20.1-2+deb12u5",
        "arch": "amd64",
        "source": "krb5",
        "archive": "debian",
        "path": "pool/main/k/krb5/libgssapi-krb5-2_1.20.1-2+deb12u5_amd64.deb",
        "sha256": "d8b87aea91b956b416c01a28c44ff6228315ae3b73de40acddac3dc5043607d2",
        "size": 135168
      },
      {
        "name": "libhogweed6",
        "version": "3.8.1-2",
        "arch": "amd64",
        "source": "nettle",
        "archive": "debian",
        "path": "pool/main/n/nettle/libhogweed6_3.8.1-2_amd64.deb",
        "sha256": "ed8185c28b2cb519744a5a462dcd720d3b332c9b88a1d0002eac06dc8550cb94",
        "size": 327524
      },
      {
        "name": "libidn2-0",
        "version": "2.3.3-1+b1",
        "arch": "amd64",
        "source": "libidn2",
        "archive": "debian",
        "path": "pool/main/libi/libidn2/libidn2-0_2.3.3-1+b1_amd64.deb",
        "sha256": "d50716d5824083d667427817d506b45d3f59dc77e1ca52de000f3f62d4918afa",
        "size": 123636
      },
      {
        "name": "libisl23",
        "version": "0.25-1.1",
        "arch": "amd64",
        "source": "isl",
        "archive": "debian",
        "path": "pool/main/i/isl/libisl23_0.25-1.1_amd64.deb",
        "sha256": "ebff0b2f8b220c74224197523019366e97ee4770d464bebc48e4865114e4da0e",
        "size": 683060
      },
      {
        "name": "libitm1",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libitm1_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "0ed5b35dfd1346cccbf065408ec789db6c44c1d0a16ae84533411dea09632979",
        "size": 26140
      },
      {
        "name": "libjansson4",
        "version": "2.14-2",
        "arch": "amd64",
        "source": "jansson",
        "archive": "debian",
        "path": "pool/main/j/jansson/libjansson4_2.14-2_amd64.deb",
        "sha256": "3fc9742f9f1a37bcb9931df6074b4d1483419ef832ad5349f47323e75fc27864",
        "size": 40788
      },
      {
        "name": "libk5crypto3",
        "version": "1.20.1-2+deb12u5",
        "arch": "amd64",
        "source": "krb5",
        "archive": "debian",
        "path": "pool/main/k/krb5/libk5crypto3_1.20.1-2+deb12u5_amd64.deb",
        "sha256": "7b6e47d15c5c9cdcd456137533d8308aeba608a54cec73b28bd59bfc4b54cf06",
        "size": 79712
      },
      {
        "name": "libkeyutils1",
        "version": "1.6.3-2",
        "arch": "amd64",
        "source": "keyutils",
        "archive": "debian",
        "path": "pool/main/k/keyutils/libkeyutils1_1.6.3-2_amd64.deb",
        "sha256": "cfac89e6a7a54ff3c6a4f843310e25efeddaa771baeae470bd98bd588c373563",
        "size": 8808
      },
      {
        "name": "libkrb5-3",
        "version": "1.20.1-2+deb12u5",
        "arch": "amd64",
        "source": "krb5",
        "archive": "debian",
        "path": "pool/main/k/krb5/libkrb5-3_1.20.1-2+deb12u5_amd64.deb",
        "sha256": "c90801be09701af221b54dd502a59cb378b7284ff31e480738baca317d2f7653",
        "size": 332280
      },
      {
        "name": "libkrb5support0",
        "version": "1.20.1-2+deb12u5",
        "arch": "amd64",
        "source": "krb5",
        "archive": "debian",
        "path": "pool/main/k/krb5/libkrb5support0_1.20.1-2+deb12u5_amd64.deb",
        "sha256": "8b9c05f2d8d461a10d657b118f572af5bf8fd6c8f93dcef81e852c5ab0f428ab",
        "size": 33212
      },
      {
        "name": "liblsan0",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/liblsan0_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "d234ab339c0ba31a4fb44e2334cf5a8d15b87f2c2f9e74fadfaa877f92dcf22a",
        "size": 969300
      },
      {
        "name": "liblz4-1",
        "version": "1.9.4-1",
        "arch": "amd64",
        "source": "lz4",
        "archive": "debian",
        "path": "pool/main/l/lz4/liblz4-1_1.9.4-1_amd64.deb",
        "sha256": "64cde86cef1deaf828bd60297839b59710b5cd8dc50efd4f12643caaee9389d3",
        "size": 62884
      },
      {
        "name": "liblzma5",
        "version": "5.4.1-1+deb12u2",
        "arch": "amd64",
        "source": "xz-utils",
        "archive": "debian-security",
        "path": "pool/updates/main/x/xz-utils/liblzma5_5.4.1-1+deb12u2_amd64.deb",
        "sha256": "3d8c29c8c21ec6007635e1b2591edf98b771c9572a085968f47452b33040f384",
        "size": 205796
      },
      {
        "name": "libmd0",
        "version": "1.0.4-2",
        "arch": "amd64",
        "source": "libmd",
        "archive": "debian",
        "path": "pool/main/libm/libmd/libmd0_1.0.4-2_amd64.deb",
        "sha256": "03539fd30c509e27101d13a56e52eda9062bdf1aefe337c07ab56def25a13eab",
        "size": 29456
      },
      {
        "name": "libmount1",
        "version": "2.38.1-5+deb12u3",
        "arch": "amd64",
        "source": "util-linux",
        "archive": "debian",
        "path": "pool/main/u/util-linux/libmount1_2.38.1-5+deb12u3_amd64.deb",
        "sha256": "f46e2d6b006951825adde9757790b6609d7c66c7700f9b68f3db913eaac323c3",
        "size": 165732
      },
      {
        "name": "libmpc3",
        "version": "1.3.1-1",
        "arch": "amd64",
        "source": "mpclib3",
        "archive": "debian",
        "path": "pool/main/m/mpclib3/libmpc3_1.3.1-1_amd64.deb",
        "sha256": "d7f79544790e44f9b0c8cb9034a18c58d37f8702a15f32539050718679e52f80",
        "size": 51480
      },
      {
        "name": "libmpfr6",
        "version": "4.2.0-1",
        "arch": "amd64",
        "source": "mpfr4",
        "archive": "debian",
        "path": "pool/main/m/mpfr4/libmpfr6_4.2.0-1_amd64.deb",
        "sha256": "37b7a2b4e78890b6a074777f27b96c84f58e81558ba08410c2b6c0ca4a4ad77b",
        "size": 700900
      },
      {
        "name": "libnettle8",
        "version": "3.8.1-2",
        "arch": "amd64",
        "source": "nettle",
        "archive": "debian",
        "path": "pool/main/n/nettle/libnettle8_3.8.1-2_amd64.deb",
        "sha256": "45922e6e289ffd92f0f92d2bb9159e84236ff202d552a461bf10e5335b3f0261",
        "size": 287764
      },
      {
        "name": "libnsl-dev",
        "version": "1.3.0-2",
        "arch": "amd64",
        "source": "libnsl",
        "archive": "debian",
        "path": "pool/main/libn/libnsl/libnsl-dev_1.3.0-2_amd64.deb",
        "sha256": "bb81a188c119cd7fdebae723cbc95887b6c549b2fe4fb7e268a9c8846444da99",
        "size": 66436
      },
      {
        "name": "libnsl2",
        "version": "1.3.0-2",
        "arch": "amd64",
        "source": "libnsl",
        "archive": "debian",
        "path": "pool/main/libn/libnsl/libnsl2_1.3.0-2_amd64.deb",
        "sha256": "c0d83437fdb016cb289436f49f28a36be44b3e8f1f2498c7e3a095f709c0d6f8",
        "size": 39480
      },
      {
        "name": "libnumber-compare-perl",
        "version": "0.03-3",
        "arch": "all",
        "source": "libnumber-compare-perl",
        "archive": "debian",
        "path": "pool/main/libn/libnumber-compare-perl/libnumber-compare-perl_0.03-3_all.deb",
        "sha256": "cf95662e27037d92c582647400bb1ca7a6dfd2eb26eee5b968b23263cd4976dc",
        "size": 6332
      },
      {
        "name": "libp11-kit0",
        "version": "0.24.1-2",
        "arch": "amd64",
        "source": "p11-kit",
        "archive": "debian",
        "path": "pool/main/p/p11-kit/libp11-kit0_0.24.1-2_amd64.deb",
        "sha256": "251330faddbf013f060fcdb41f4b0c037c8a6e89ba7c09b04bfcc4e3f0807b22",
        "size": 345080
      },
      {
        "name": "libpam-modules",
        "version": "1.5.2-6+deb12u3",
        "arch": "amd64",
        "source": "pam",
        "archive": "debian-security",
        "path": "pool/updates/main/p/pam/libpam-modules_1.5.2-6+deb12u3_amd64.deb",
        "sha256": "70df6c0f65623896680c3b1199b980fdac9f2274bdfcb24685eca1100644db1d",
        "size": 293236
      },
      {
        "name": "libpam-modules-bin",
        "version": "1.5.2-6+deb12u3",
        "arch": "amd64",
        "source": "pam",
        "archive": "debian-security",
        "path": "pool/updates/main/p/pam/libpam-modules-bin_1.5.2-6+deb12u3_amd64.deb",
        "sha256": "085074025fc11242d320d0aea861f614e075cf80a273024666b950ffe0411f51",
        "size": 76004
      },
      {
        "name": "libpam-runtime",
        "version": "1.5.2-6+deb12u3",
        "arch": "all",
        "source": "pam",
        "archive": "debian-security",
        "path": "pool/updates/main/p/pam/libpam-runtime_1.5.2-6+deb12u3_all.deb",
        "sha256": "7781327aaebee1fc215eeb280385385122a424b964169ca48763f26390aba509",
        "size": 161408
      },
      {
        "name": "libpam0g",
        "version": "1.5.2-6+deb12u3",
        "arch": "amd64",
        "source": "pam",
        "archive": "debian-security",
        "path": "pool/updates/main/p/pam/libpam0g_1.5.2-6+deb12u3_amd64.deb",
        "sha256": "2cc3411d70739d7f09ee8f1dd145903320294e36bf6bda3cb56dd25eb9a8505f",
        "size": 92412
      },
      {
        "name": "libpcre2-8-0",
        "version": "10.42-1+deb12u2",
        "arch": "amd64",
        "source": "pcre2",
        "archive": "debian-security",
        "path": "pool/updates/main/p/pcre2/libpcre2-8-0_10.42-1+deb12u2_amd64.deb",
        "sha256": "d2f7edfcc7689b9e0761c2742cc824ac86a20768bc5e8057818dc6875291fe76",
        "size": 261628
      },
      {
        "name": "libperl5.36",
        "version": "5.36.0-7+deb12u4",
        "arch": "amd64",
        "source": "perl",
        "archive": "debian-security",
        "path": "pool/updates/main/p/perl/libperl5.36_5.36.0-7+deb12u4_amd64.deb",
        "sha256": "ed8480b621ad574c25aea30d36194d0133ea74093756ecbe3dff157d0510ef7f",
        "size": 4207640
      },
      {
        "name": "libquadmath0",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libquadmath0_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "3f0c9a4c730da2fdab001cae596625438598fd2996d29d888feeb4c1cdc9011f",
        "size": 144616
      },
      {
        "name": "libseccomp2",
        "version": "2.5.4-1+deb12u1",
        "arch": "amd64",
        "source": "libseccomp",
        "archive": "debian",
        "path": "pool/main/libs/libseccomp/libseccomp2_2.5.4-1+deb12u1_amd64.deb",
        "sha256": "108fe67957ca7cf9ba51d801118a1b37d404bea7b6e365025cd00779e9eca38d",
        "size": 46808
      },
      {
        "name": "libselinux1",
        "version": "3.4-1+b6",
        "arch": "amd64",
        "source": "libselinux",
        "archive": "debian",
        "path": "pool/main/libs/libselinux/libselinux1_3.4-1+b6_amd64.deb",
        "sha256": "2b07f5287b9105f40158b56e4d70cc1652dac56a408f3507b4ab3d061eed425f",
        "size": 73720
      },
      {
        "name": "libsemanage-common",
        "version": "3.4-1",
        "arch": "all",
        "source": "libsemanage",
        "archive": "debian",
        "path": "pool/main/libs/libsemanage/libsemanage-common_3.4-1_all.deb",
        "sha256": "835f806c21ae25e39053bd3057051640341b0cf08e1db9746fd82e370d82fa30",
        "size": 21632
      },
      {
        "name": "libsemanage2",
        "version": "3.4-1+b5",
        "arch": "amd64",
        "source": "libsemanage",
        "archive": "debian",
        "path": "pool/main/libs/libsemanage/libsemanage2_3.4-1+b5_amd64.deb",
        "sha256": "fd36d0972866adde5a52269a309fcecd76a8e45e557dd0ecd33aa221cabc2a8c",
        "size": 89884
      },
      {
        "name": "libsepol2",
        "version": "3.4-2.1",
        "arch": "amd64",
        "source": "libsepol",
        "archive": "debian",
        "path": "pool/main/libs/libsepol/libsepol2_3.4-2.1_amd64.deb",
        "sha256": "b998946bb9818a97b387a962826caae33bc7fdcb6d706b2782c0470510be6b48",
        "size": 275900
      },
      {
        "name": "libsmartcols1",
        "version": "2.38.1-5+deb12u3",
        "arch": "amd64",
        "source": "util-linux",
        "archive": "debian",
        "path": "pool/main/u/util-linux/libsmartcols1_2.38.1-5+deb12u3_amd64.deb",
        "sha256": "84088c6895fc07538fc51624899f3f71835188e0d38ebc3812097ac13da523b0",
        "size": 106776
      },
      {
        "name": "libss2",
        "version": "1.47.0-2+b2",
        "arch": "amd64",
        "source": "e2fsprogs",
        "archive": "debian",
        "path": "pool/main/e/e2fsprogs/libss2_1.47.0-2+b2_amd64.deb",
        "sha256": "24115749c09b4e259acff1f799faccd1748ff322bd638b09d820729cb3b24579",
        "size": 24800
      },
      {
        "name": "libssl3",
        "version": "3.0.22-1~deb12u2",
        "arch": "amd64",
        "source": "openssl",
        "archive": "debian-security",
        "path": "pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb",
        "sha256": "cb4784740daa9b3b0eaea2b444bbefa686794afbbf3d678d238c1fd9875f2efd",
        "size": 2039888
      },
      {
        "name": "libstdc++-12-dev",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libstdc++-12-dev_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "d28def6c23630432b57cb38a4c2fd67a79d4e0484027386ca6e8d6005c3d7a73",
        "size": 2047292
      },
      {
        "name": "libstdc++6",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libstdc++6_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d",
        "size": 612604
      },
      {
        "name": "libsystemd0",
        "version": "252.39-1~deb12u2",
        "arch": "amd64",
        "source": "systemd",
        "archive": "debian",
        "path": "pool/main/s/systemd/libsystemd0_252.39-1~deb12u2_amd64.deb",
        "sha256": "013c07514a9e4933b2d5c098018695a6aa42d085dbc483ce2c094a954c8a1b0a",
        "size": 332372
      },
      {
        "name": "libtasn1-6",
        "version": "4.19.0-2+deb12u1",
        "arch": "amd64",
        "source": "libtasn1-6",
        "archive": "debian",
        "path": "pool/main/libt/libtasn1-6/libtasn1-6_4.19.0-2+deb12u1_amd64.deb",
        "sha256": "2c27c613b69be248d09432839ea3d3382f6ee27fabaa65987aa2d884cd00afda",
        "size": 48596
      },
      {
        "name": "libtext-glob-perl",
        "version": "0.11-3",
        "arch": "all",
        "source": "libtext-glob-perl",
        "archive": "debian",
        "path": "pool/main/libt/libtext-glob-perl/libtext-glob-perl_0.11-3_all.deb",
        "sha256": "b0f1a40c5b26f4e4c83a4f8e1768fcf50ae9aac84b7f807ccb38123b50396f64",
        "size": 7676
      },
      {
        "name": "libtinfo6",
        "version": "6.4-4",
        "arch": "amd64",
        "source": "ncurses",
        "archive": "debian",
        "path": "pool/main/n/ncurses/libtinfo6_6.4-4_amd64.deb",
        "sha256": "072d908f38f51090ca28ca5afa3b46b2957dc61fe35094c0b851426859a49a51",
        "size": 331352
      },
      {
        "name": "libtirpc-common",
        "version": "1.3.3+ds-1",
        "arch": "all",
        "source": "libtirpc",
        "archive": "debian",
        "path": "pool/main/libt/libtirpc/libtirpc-common_1.3.3+ds-1_all.deb",
        "sha256": "3e3ef129b4bf61513144236e15e1b4ec57fa5ae3dc8a72137abdbefb7a63af85",
        "size": 14048
      },
      {
        "name": "libtirpc-dev",
        "version": "1.3.3+ds-1",
        "arch": "amd64",
        "source": "libtirpc",
        "archive": "debian",
        "path": "pool/main/libt/libtirpc/libtirpc-dev_1.3.3+ds-1_amd64.deb",
        "sha256": "03326473eed54ffa27efae19aa5d6aeb402930968f869f318445513093691d55",
        "size": 191428
      },
      {
        "name": "libtirpc3",
        "version": "1.3.3+ds-1",
        "arch": "amd64",
        "source": "libtirpc",
        "archive": "debian",
        "path": "pool/main/libt/libtirpc/libtirpc3_1.3.3+ds-1_amd64.deb",
        "sha256": "2a46d5a5e9486da11ffeff5740931740d6deae4f92cd6098df060dc5dff1e1c7",
        "size": 85192
      },
      {
        "name": "libtsan2",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libtsan2_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "06906663d644a75a1a836382ecd80b61461129c06f02935ce408b25809f6c958",
        "size": 2196972
      },
      {
        "name": "libubsan1",
        "version": "12.2.0-14+deb12u1",
        "arch": "amd64",
        "source": "gcc-12",
        "archive": "debian",
        "path": "pool/main/g/gcc-12/libubsan1_12.2.0-14+deb12u1_amd64.deb",
        "sha256": "744f52adf00ffd45d44806b1c7e802a36bd27e479c9bc8457128fde357faa530",
        "size": 883056
      },
      {
        "name": "libudev1",
        "version": "252.39-1~deb12u2",
        "arch": "amd64",
        "source": "systemd",
        "archive": "debian",
        "path": "pool/main/s/systemd/libudev1_252.39-1~deb12u2_amd64.deb",
        "sha256": "6f7e08f11c4809d2e5998c775f7b423ab5ec2ce0309494b4a2615037052245e2",
        "size": 108880
      },
      {
        "name": "libunistring2",
        "version": "1.0-2",
        "arch": "amd64",
        "source": "libunistring",
        "archive": "debian",
        "path": "pool/main/libu/libunistring/libunistring2_1.0-2_amd64.deb",
        "sha256": "d466bbfe011d764d793c1d9d777cad9c7cf65b938e11598f27408171ad95a951",
        "size": 436708
      },
      {
        "name": "libuuid1",
        "version": "2.38.1-5+deb12u3",
        "arch": "amd64",
        "source": "util-linux",
        "archive": "debian",
        "path": "pool/main/u/util-linux/libuuid1_2.38.1-5+deb12u3_amd64.deb",
        "sha256": "5fff398321da62d28a842bcbabd193d72ae21724962c029dc32b1dc6b2deaeaf",
        "size": 28784
      },
      {
        "name": "libxxhash0",
        "version": "0.8.1-1",
        "arch": "amd64",
        "source": "xxhash",
        "archive": "debian",
        "path": "pool/main/x/xxhash/libxxhash0_0.8.1-1_amd64.deb",
        "sha256": "6c19a5d18c8350744581fbd25d5d29e2b7101053e25aafa4e1ffcc2b505b2f1c",
        "size": 27584
      },
      {
        "name": "libzstd1",
        "version": "1.5.4+dfsg2-5+deb12u1",
        "arch": "amd64",
        "source": "libzstd",
        "archive": "debian-security",
        "path": "pool/updates/main/libz/libzstd/libzstd1_1.5.4+dfsg2-5+deb12u1_amd64.deb",
        "sha256": "67dc1ee693e5c22b1a2be2bb70d8244b040836ce3f5dd79e006f7806bc3d9f1c",
        "size": 290236
      },
      {
        "name": "linux-libc-dev",
        "version": "6.1.192-3",
        "arch": "amd64",
        "source": "linux",
        "archive": "debian-security",
        "path": "pool/updates/main/l/linux/linux-libc-dev_6.1.192-3_amd64.deb",
        "sha256": "1b699a9cf27fd36f295b8f7615b73cea8d2d11d43c275c2aca1f4a7a7d14c4ea",
        "size": 2458036
      },
      {
        "name": "login",
        "version": "1:4.13+dfsg1-1+deb12u2",
        "arch": "amd64",
        "source": "shadow",
        "archive": "debian",
        "path": "pool/main/s/shadow/login_4.13+dfsg1-1+deb12u2_amd64.deb",
        "sha256": "f1cc45bf505a8457340dc3c36f3a01a1835aaf564d73d9d394afb8ccfb6595a0",
        "size": 616084
      },
      {
        "name": "logsave",
        "version": "1.47.0-2+b2",
        "arch": "amd64",
        "source": "e2fsprogs",
        "archive": "debian",
        "path": "pool/main/e/e2fsprogs/logsave_1.47.0-2+b2_amd64.deb",
        "sha256": "12e051fb0d931c510d464ba93e87b937aa41a08f286735e0538d9f9e73efa3d0",
        "size": 19876
      },
      {
        "name": "make",
        "version": "4.3-4.1",
        "arch": "amd64",
        "source": "make-dfsg",
        "archive": "debian",
        "path": "pool/main/m/make-dfsg/make_4.3-4.1_amd64.deb",
        "sha256": "a1a83af8cbd854af887b72ad196b1f4af58387815e21ced1000253a116a46e2a",
        "size": 395632
      },
      {
        "name": "mawk",
        "version": "1.3.4.20200120-3.1",
        "arch": "amd64",
        "source": "mawk",
        "archive": "debian",
        "path": "pool/main/m/mawk/mawk_1.3.4.20200120-3.1_amd64.deb",
        "sha256": "bcbc83f391854ea9d50ce2a4101aacf330de3b8b71d81a798faadba14a157f78",
        "size": 119144
      },
      {
        "name": "mount",
        "version": "2.38.1-5+deb12u3",
        "arch": "amd64",
        "source": "util-linux",
        "archive": "debian",
        "path": "pool/main/u/util-linux/mount_2.38.1-5+deb12u3_amd64.deb",
        "sha256": "456ed2c62f884bc1133b6969d4d1eb2e6d8581076b00b4c8d700151155270a7a",
        "size": 134044
      },
      {
        "name": "ncurses-base",
        "version": "6.4-4",
        "arch": "all",
        "source": "ncurses",
        "archive": "debian",
        "path": "pool/main/n/ncurses/ncurses-base_6.4-4_all.deb",
        "sha256": "bfd1d89f833c09a28b062ee916495cf69649ca2bf529532476c7b69d75d24909",
        "size": 261308
      },
      {
        "name": "ncurses-bin",
        "version": "6.4-4",
        "arch": "amd64",
        "source": "ncurses",
        "archive": "debian",
        "path": "pool/main/n/ncurses/ncurses-bin_6.4-4_amd64.deb",
        "sha256": "396d6e453aee6d71b7141f0bfb333a6c08a44c64f77632bdf52894ccd123db46",
        "size": 421400
      },
      {
        "name": "passwd",
        "version": "1:4.13+dfsg1-1+deb12u2",
        "arch": "amd64",
        "source": "shadow",
        "archive": "debian",
        "path": "pool/main/s/shadow/passwd_4.13+dfsg1-1+deb12u2_amd64.deb",
        "sha256": "fb787363372903e03627e53fd483e51dfb6861047a1e02c7d5a5f27d66546d08",
        "size": 972180
      },
      {
        "name": "patch",
        "version": "2.7.6-7+deb12u1",
        "arch": "amd64",
        "source": "patch",
        "archive": "debian-security",
        "path": "pool/updates/main/p/patch/patch_2.7.6-7+deb12u1_amd64.deb",
        "sha256": "5b2c69742e3c51ca724d8b499e4d9f80362106162d7ea0dffe8f3641a7879fb7",
        "size": 123080
      },
      {
        "name": "perl",
        "version": "5.36.0-7+deb12u4",
        "arch": "amd64",
        "source": "perl",
        "archive": "debian-security",
        "path": "pool/updates/main/p/perl/perl_5.36.0-7+deb12u4_amd64.deb",
        "sha256": "67e7a883c5d835939638f89a750799282df243ac1446281aa92ef9e19300940b",
        "size": 239392
      },
      {
        "name": "perl-base",
        "version": "5.36.0-7+deb12u4",
        "arch": "amd64",
        "source": "perl",
        "archive": "debian-security",
        "path": "pool/updates/main/p/perl/perl-base_5.36.0-7+deb12u4_amd64.deb",
        "sha256": "d7d1943aec9597629bf73075efcc5ef6dc9bda96d78e80d843156ecd448478b8",
        "size": 1609596
      },
      {
        "name": "perl-modules-5.36",
        "version": "5.36.0-7+deb12u4",
        "arch": "all",
        "source": "perl",
        "archive": "debian-security",
        "path": "pool/updates/main/p/perl/perl-modules-5.36_5.36.0-7+deb12u4_all.deb",
        "sha256": "3ed38ffa8320e9bf7597cefa01b6a6ace4a08ccc77cdfd15ef7d8b711dea7166",
        "size": 2817356
      },
      {
        "name": "rpcsvc-proto",
        "version": "1.4.3-1",
        "arch": "amd64",
        "source": "rpcsvc-proto",
        "archive": "debian",
        "path": "pool/main/r/rpcsvc-proto/rpcsvc-proto_1.4.3-1_amd64.deb",
        "sha256": "32ac0692694f8a34cc90c895f4fc739680fb2ef0e2d4870a68833682bf1c81a3",
        "size": 63268
      },
      {
        "name": "sed",
        "version": "4.9-1+deb12u1",
        "arch": "amd64",
        "source": "sed",
        "archive": "debian",
        "path": "pool/main/s/sed/sed_4.9-1+deb12u1_amd64.deb",
        "sha256": "fd557efeee8aae4619c2cb7f68aadccb804322ad4a99ab048aaae5901d253885",
        "size": 329092
      },
      {
        "name": "sysvinit-utils",
        "version": "3.06-4",
        "arch": "amd64",
        "source": "sysvinit",
        "archive": "debian",
        "path": "pool/main/s/sysvinit/sysvinit-utils_3.06-4_amd64.deb",
        "sha256": "11790842108768ec52432ea22e7b4f057232813b7c27ef6dfe1aba776a5cb90e",
        "size": 30996
      },
      {
        "name": "tar",
        "version": "1.34+dfsg-1.2+deb12u1",
        "arch": "amd64",
        "source": "tar",
        "archive": "debian",
        "path": "pool/main/t/tar/tar_1.34+dfsg-1.2+deb12u1_amd64.deb",
        "sha256": "24fb92e98c2969171f81a8b589263d705f6b1670f95d121cd74c810d4605acc3",
        "size": 836288
      },
      {
        "name": "tzdata",
        "version": "2026f-0+deb12u1",
        "arch": "all",
        "source": "tzdata",
        "archive": "debian-security",
        "path": "pool/updates/main/t/tzdata/tzdata_2026f-0+deb12u1_all.deb",
        "sha256": "3254eb870c8a949518214805aee5e4276af7699988ea8b9a3a583cd0f1eab31c",
        "size": 307832
      },
      {
        "name": "usrmerge",
        "version": "37~deb12u1",
        "arch": "all",
        "source": "usrmerge",
        "archive": "debian",
        "path": "pool/main/u/usrmerge/usrmerge_37~deb12u1_all.deb",
        "sha256": "8a25318213244f075b56363408c87a519ed8cef24b270c3d045ef35d695de13a",
        "size": 13336
      },
      {
        "name": "util-linux",
        "version": "2.38.1-5+deb12u3",
        "arch": "amd64",
        "source": "util-linux",
        "archive": "debian",
        "path": "pool/main/u/util-linux/util-linux_2.38.1-5+deb12u3_amd64.deb",
        "sha256": "8eb241ff24b2e1ee9c0373f4fc9bc728b85bf5966c1496154df7da01c0e42f34",
        "size": 1177276
      },
      {
        "name": "util-linux-extra",
        "version": "2.38.1-5+deb12u3",
        "arch": "amd64",
        "source": "util-linux",
        "archive": "debian",
        "path": "pool/main/u/util-linux/util-linux-extra_2.38.1-5+deb12u3_amd64.deb",
        "sha256": "b097a68c68e5c47a18e82678729dd9986782cf1d439f53beafad6f6dd3e6d688",
        "size": 110728
      },
      {
        "name": "xz-utils",
        "version": "5.4.1-1+deb12u2",
        "arch": "amd64",
        "source": "xz-utils",
        "archive": "debian-security",
        "path": "pool/updates/main/x/xz-utils/xz-utils_5.4.1-1+deb12u2_amd64.deb",
        "sha256": "f99fc3fe4b4e5baecf5fd8b53853a82e1e71cb5ec187b36b0ddcf227a8961c8f",
        "size": 471448
      },
      {
        "name": "zlib1g",
        "version": "1:1.2.13.dfsg-1+deb12u1",
        "arch": "amd64",
        "source": "zlib",
        "archive": "debian-security",
        "path": "pool/updates/main/z/zlib/zlib1g_1.2.13.dfsg-1+deb12u1_amd64.deb",
        "sha256": "ad9f1ea0537a32c9eaecc619563a9db596a5dee33afce8393b1083f22d301e1d",
        "size": 86880
      }
    ]
  },
  "binaries": {
    "autoconf": {
      "name": "autoconf",
      "version": "2.71-3",
      "arch": "all",
      "source": "autoconf",
      "archive": "debian",
      "path": "pool/main/a/autoconf/autoconf_2.71-3_all.deb",
      "sha256": "7d798ed8c21fc7387127de1dfdb4640003d8ba033ae5a1ff29559610cbd0c323",
      "size": 332120
    },
    "automake": {
      "name": "automake",
      "version": "1:1.16.5-1.3",
      "arch": "all",
      "source": "automake-1.16",
      "archive": "debian",
      "path": "pool/main/a/automake-1.16/automake_1.16.5-1.3_all.deb",
      "sha256": "f9a5758d87b5389bf2dbb00cc9c48e0cf59bb0ac842c5ce25d41e4bfa3f2f962",
      "size": 822960
    },
    "autopoint": {
      "name": "autopoint",
      "version": "0.21-12",
      "arch": "all",
      "source": "gettext",
      "archive": "debian",
      "path": "pool/main/g/gettext/autopoint_0.21-12_all.deb",
      "sha256": "9864777e777f1f641858e27396bf7dd53c9b38197b7ac47388995ec60bb9789f",
      "size": 495488
    },
    "autotools-dev": {
      "name": "autotools-dev",
      "version": "20220109.1",
      "arch": "all",
      "source": "autotools-dev",
      "archive": "debian",
      "path": "pool/main/a/autotools-dev/autotools-dev_20220109.1_all.deb",
      "sha256": "4d66dcb9c312566f1ca8d46ef0fb06fa4d4786c20b072c81f9d313b64ef981d0",
      "size": 51604
    },
    "bison": {
      "name": "bison",
      "version": "2:3.8.2+dfsg-1+b1",
      "arch": "amd64",
      "source": "bison",
      "archive": "debian",
      "path": "pool/main/b/bison/bison_3.8.2+dfsg-1+b1_amd64.deb",
      "sha256": "a414afd7519c53bfa33415ba5b951bc8b4906877004c49723ffda50a6033c3e8",
      "size": 1174528
    },
    "bsdextrautils": {
      "name": "bsdextrautils",
      "version": "2.38.1-5+deb12u3",
      "arch": "amd64",
      "source": "util-linux",
      "archive": "debian",
      "path": "pool/main/u/util-linux/bsdextrautils_2.38.1-5+deb12u3_amd64.deb",
      "sha256": "c949c638bc238b51030bd4758ae310feab9a535c06328934e2f643b0e6e5ac82",
      "size": 86968
    },
    "debhelper": {
      "name": "debhelper",
      "version": "13.11.4",
      "arch": "all",
      "source": "debhelper",
      "archive": "debian",
      "path": "pool/main/d/debhelper/debhelper_13.11.4_all.deb",
      "sha256": "bd764e98a9204a4b6b2d9e7b461c50fdae579314309804baff93d21e0498b64b",
      "size": 941736
    },
    "dh-autoreconf": {
      "name": "dh-autoreconf",
      "version": "20",
      "arch": "all",
      "source": "dh-autoreconf",
      "archive": "debian",
      "path": "pool/main/d/dh-autoreconf/dh-autoreconf_20_all.deb",
      "sha256": "9527d06ee13195c48718a2580d7262883344a5ecc7a77b48c3b7aa70086a0125",
      "size": 17108
    },
    "dh-strip-nondeterminism": {
      "name": "dh-strip-nondeterminism",
      "version": "1.13.1-1",
      "arch": "all",
      "source": "strip-nondeterminism",
      "archive": "debian",
      "path": "pool/main/s/strip-nondeterminism/dh-strip-nondeterminism_1.13.1-1_all.deb",
      "sha256": "2ad85a7460bd4238acc50569d8e55cfb30ffa9f28925ae5352728e6a54cd5d84",
      "size": 8620
    },
    "dwz": {
      "name": "dwz",
      "version": "0.15-1",
      "arch": "amd64",
      "source": "dwz",
      "archive": "debian",
      "path": "pool/main/d/dwz/dwz_0.15-1_amd64.deb",
      "sha256": "f0195c15a88006df2b64e027a33a9b63b51d4c0d19b59a557d5694ab4f7f0cd7",
      "size": 109164
    },
    "file": {
      "name": "file",
      "version": "1:5.44-3",
      "arch": "amd64",
      "source": "file",
      "archive": "debian",
      "path": "pool/main/f/file/file_5.44-3_amd64.deb",
      "sha256": "2c57221bf8cc0ff5d2295ececb9215cc1b9ff9040dacb152c385bba3087ab1df",
      "size": 42472
    },
    "gawk": {
      "name": "gawk",
      "version": "1:5.2.1-2",
      "arch": "amd64",
      "source": "gawk",
      "archive": "debian",
      "path": "pool/main/g/gawk/gawk_5.2.1-2_amd64.deb",
      "sha256": "9cd63c1b35ff082092c221a23dcb167f72c4d1c3de3a42e11f16181f42ab3b55",
      "size": 672772
    },
    "gettext": {
      "name": "gettext",
      "version": "0.21-12",
      "arch": "amd64",
      "source": "gettext",
      "archive": "debian",
      "path": "pool/main/g/gettext/gettext_0.21-12_amd64.deb",
      "sha256": "8c1f9d43575373ce311f51d00a13afbb4888d63aa559a93a3472f5d77513b60c",
      "size": 1300056
    },
    "gettext-base": {
      "name": "gettext-base",
      "version": "0.21-12",
      "arch": "amd64",
      "source": "gettext",
      "archive": "debian",
      "path": "pool/main/g/gettext/gettext-base_0.21-12_amd64.deb",
      "sha256": "5cb39c7acc7125e677ec98d0426a987daf0ce062f749f2a9421b2511f6dd5ab7",
      "size": 160164
    },
    "groff-base": {
      "name": "groff-base",
      "version": "1.22.4-10",
      "arch": "amd64",
      "source": "groff",
      "archive": "debian",
      "path": "pool/main/g/groff/groff-base_1.22.4-10_amd64.deb",
      "sha256": "3de38b55bcccbdaf56c030d5011c6afc76bf6fdc8986ae4f1b2087eef0ddcad0",
      "size": 915864
    },
    "help2man": {
      "name": "help2man",
      "version": "1.49.3",
      "arch": "amd64",
      "source": "help2man",
      "archive": "debian",
      "path": "pool/main/h/help2man/help2man_1.49.3_amd64.deb",
      "sha256": "9b17251751ee4e813df789ba39c25841b9e26bf44206fd53ce4d34bc2d761eed",
      "size": 197928
    },
    "intltool-debian": {
      "name": "intltool-debian",
      "version": "0.35.0+20060710.6",
      "arch": "all",
      "source": "intltool-debian",
      "archive": "debian",
      "path": "pool/main/i/intltool-debian/intltool-debian_0.35.0+20060710.6_all.deb",
      "sha256": "058900c66cbc0d8b60139bdecc9a06cb9c3b479a03117354a78e5fa72aecd90c",
      "size": 22884
    },
    "libarchive-zip-perl": {
      "name": "libarchive-zip-perl",
      "version": "1.68-1",
      "arch": "all",
      "source": "libarchive-zip-perl",
      "archive": "debian",
      "path": "pool/main/liba/libarchive-zip-perl/libarchive-zip-perl_1.68-1_all.deb",
      "sha256": "d1006344c2b897e2ffd1a60c5423f60e9d5c15f701e72c3d60b08b684608cff8",
      "size": 103940
    },
    "libdebhelper-perl": {
      "name": "libdebhelper-perl",
      "version": "13.11.4",
      "arch": "all",
      "source": "debhelper",
      "archive": "debian",
      "path": "pool/main/d/debhelper/libdebhelper-perl_13.11.4_all.deb",
      "sha256": "105b26fc95776db8928fe1442cc2485a969a29ea395a7639c19199a1442ef50f",
      "size": 81164
    },
    "libelf1": {
      "name": "libelf1",
      "version": "0.188-2.1",
      "arch": "amd64",
      "source": "elfutils",
      "archive": "debian",
      "path": "pool/main/e/elfutils/libelf1_0.188-2.1_amd64.deb",
      "sha256": "619add379c606b3ac6c1a175853b918e6939598a83d8ebadf3bdfd50d10b3c8c",
      "size": 173796
    },
    "libexpat1": {
      "name": "libexpat1",
      "version": "2.5.0-1+deb12u5",
      "arch": "amd64",
      "source": "expat",
      "archive": "debian-security",
      "path": "pool/updates/main/e/expat/libexpat1_2.5.0-1+deb12u5_amd64.deb",
      "sha256": "cae5ded666d8573dd33060bc66fbac21eea8b101a6b56e2af8bd590fcfa65d79",
      "size": 107940
    },
    "libfile-stripnondeterminism-perl": {
      "name": "libfile-stripnondeterminism-perl",
      "version": "1.13.1-1",
      "arch": "all",
      "source": "strip-nondeterminism",
      "archive": "debian",
      "path": "pool/main/s/strip-nondeterminism/libfile-stripnondeterminism-perl_1.13.1-1_all.deb",
      "sha256": "485fc277f55c10efd5759918b09e8599066cbfb4b47043840c477d6a73ad819a",
      "size": 19420
    },
    "libicu72": {
      "name": "libicu72",
      "version": "72.1-3+deb12u1",
      "arch": "amd64",
      "source": "icu",
      "archive": "debian",
      "path": "pool/main/i/icu/libicu72_72.1-3+deb12u1_amd64.deb",
      "sha256": "f7f6f99c6d7b025914df2447fc93e11d22c44c0c8bdd8b6f36691c9e7ddcef88",
      "size": 9376124
    },
    "liblocale-gettext-perl": {
      "name": "liblocale-gettext-perl",
      "version": "1.07-5",
      "arch": "amd64",
      "source": "liblocale-gettext-perl",
      "archive": "debian",
      "path": "pool/main/libl/liblocale-gettext-perl/liblocale-gettext-perl_1.07-5_amd64.deb",
      "sha256": "fe524a9de7ed6b2a1465693f12d5f7be2d2d9f6d6e6bf028f17109263e173dc8",
      "size": 15408
    },
    "libmagic-mgc": {
      "name": "libmagic-mgc",
      "version": "1:5.44-3",
      "arch": "amd64",
      "source": "file",
      "archive": "debian",
      "path": "pool/main/f/file/libmagic-mgc_5.44-3_amd64.deb",
      "sha256": "bad01673ba5dfb9b5db4f3ae6a71f18d492cb6801eab45ad3c7d483c0a1f6ad2",
      "size": 304888
    },
    "libmagic1": {
      "name": "libmagic1",
      "version": "1:5.44-3",
      "arch": "amd64",
      "source": "file",
      "archive": "debian",
      "path": "pool/main/f/file/libmagic1_5.44-3_amd64.deb",
      "sha256": "a241c2adc7438a7e217f32544028489981768a349d3e48673392703255c7b88e",
      "size": 103752
    },
    "libncursesw6": {
      "name": "libncursesw6",
      "version": "6.4-4",
      "arch": "amd64",
      "source": "ncurses",
      "archive": "debian",
      "path": "pool/main/n/ncurses/libncursesw6_6.4-4_amd64.deb",
      "sha256": "98fa7a53dc565a38b65fb70422ad08001bf5361d8fbc74255280c329996a6bec",
      "size": 133824
    },
    "libpipeline1": {
      "name": "libpipeline1",
      "version": "1.5.7-1",
      "arch": "amd64",
      "source": "libpipeline",
      "archive": "debian",
      "path": "pool/main/libp/libpipeline/libpipeline1_1.5.7-1_amd64.deb",
      "sha256": "e09c46ef83dddc7906ee2bcbd526f3a0af92622dca724ec433409b131c3ed41c",
      "size": 38540
    },
    "libpython3-stdlib": {
      "name": "libpython3-stdlib",
      "version": "3.11.2-1+b1",
      "arch": "amd64",
      "source": "python3-defaults",
      "archive": "debian",
      "path": "pool/main/p/python3-defaults/libpython3-stdlib_3.11.2-1+b1_amd64.deb",
      "sha256": "4e58891d5c951a1e360ed9eaa814413cb5e84deadce3f08e801ac680434c786e",
      "size": 9312
    },
    "libpython3.11-minimal": {
      "name": "libpython3.11-minimal",
      "version": "3.11.2-6+deb12u9",
      "arch": "amd64",
      "source": "python3.11",
      "archive": "debian-security",
      "path": "pool/updates/main/p/python3.11/libpython3.11-minimal_3.11.2-6+deb12u9_amd64.deb",
      "sha256": "69f41cfa3f4ba17284e538f843069d7529c53c207d2ae17a5b02785944870e33",
      "size": 820928
    },
    "libpython3.11-stdlib": {
      "name": "libpython3.11-stdlib",
      "version": "3.11.2-6+deb12u9",
      "arch": "amd64",
      "source": "python3.11",
      "archive": "debian-security",
      "path": "pool/updates/main/p/python3.11/libpython3.11-stdlib_3.11.2-6+deb12u9_amd64.deb",
      "sha256": "10f13e000ee757f5f2d2d3569f9e30546214a0c850acd78695feae373bfa3e53",
      "size": 1798408
    },
    "libreadline8": {
      "name": "libreadline8",
      "version": "8.2-1.3",
      "arch": "amd64",
      "source": "readline",
      "archive": "debian",
      "path": "pool/main/r/readline/libreadline8_8.2-1.3_amd64.deb",
      "sha256": "e02ebbd3701cf468dbf98d6d917fbe0325e881f07fe8b316150c8d2a64486e66",
      "size": 165760
    },
    "libsigsegv2": {
      "name": "libsigsegv2",
      "version": "2.14-1",
      "arch": "amd64",
      "source": "libsigsegv",
      "archive": "debian",
      "path": "pool/main/libs/libsigsegv/libsigsegv2_2.14-1_amd64.deb",
      "sha256": "92336a5c47989b82ba4c778adc0ea22fc84450773f2d8428fca4448b0789cfe6",
      "size": 37152
    },
    "libsqlite3-0": {
      "name": "libsqlite3-0",
      "version": "3.40.1-2+deb12u2",
      "arch": "amd64",
      "source": "sqlite3",
      "archive": "debian",
      "path": "pool/main/s/sqlite3/libsqlite3-0_3.40.1-2+deb12u2_amd64.deb",
      "sha256": "a8d78b40e9b4e422224aeebfe0e4dfc243f6acf3532490b0c05480d4283d41e2",
      "size": 838808
    },
    "libsub-override-perl": {
      "name": "libsub-override-perl",
      "version": "0.09-4",
      "arch": "all",
      "source": "libsub-override-perl",
      "archive": "debian",
      "path": "pool/main/libs/libsub-override-perl/libsub-override-perl_0.09-4_all.deb",
      "sha256": "4692e253973ec660f55047814f68415af192941f5e42c9fc528e768831552882",
      "size": 9304
    },
    "libtext-unidecode-perl": {
      "name": "libtext-unidecode-perl",
      "version": "1.30-3",
      "arch": "all",
      "source": "libtext-unidecode-perl",
      "archive": "debian",
      "path": "pool/main/libt/libtext-unidecode-perl/libtext-unidecode-perl_1.30-3_all.deb",
      "sha256": "33512c229f1af0e7b45f9e206dda36b579ca8c8d2b53c82970e536da82c53de1",
      "size": 101496
    },
    "libtool": {
      "name": "libtool",
      "version": "2.4.7-7~deb12u1",
      "arch": "all",
      "source": "libtool",
      "archive": "debian",
      "path": "pool/main/libt/libtool/libtool_2.4.7-7~deb12u1_all.deb",
      "sha256": "1c2e74f06b1d5d9a2c75e04ce87a99a8633058684439504ae8d715a4a088926c",
      "size": 517256
    },
    "libuchardet0": {
      "name": "libuchardet0",
      "version": "0.0.7-1",
      "arch": "amd64",
      "source": "uchardet",
      "archive": "debian",
      "path": "pool/main/u/uchardet/libuchardet0_0.0.7-1_amd64.deb",
      "sha256": "591583ce7cf452ff81b05a9b94e663cca390a02376f6fc2a072a4e9524c35a8c",
      "size": 67816
    },
    "libxml-libxml-perl": {
      "name": "libxml-libxml-perl",
      "version": "2.0207+dfsg+really+2.0134-1+deb12u1",
      "arch": "amd64",
      "source": "libxml-libxml-perl",
      "archive": "debian",
      "path": "pool/main/libx/libxml-libxml-perl/libxml-libxml-perl_2.0207+dfsg+really+2.0134-1+deb12u1_amd64.deb",
      "sha256": "f53218587a7691b3e01a84e2b7cd65f90789f50af508e5a7a3b3f65c640f25d2",
      "size": 321760
    },
    "libxml-namespacesupport-perl": {
      "name": "libxml-namespacesupport-perl",
      "version": "1.12-2",
      "arch": "all",
      "source": "libxml-namespacesupport-perl",
      "archive": "debian",
      "path": "pool/main/libx/libxml-namespacesupport-perl/libxml-namespacesupport-perl_1.12-2_all.deb",
      "sha256": "64cf8ddd61df9a36f7475dfca4c826ff342dd614a051c0f2cae175cc22cb2e15",
      "size": 15148
    },
    "libxml-sax-base-perl": {
      "name": "libxml-sax-base-perl",
      "version": "1.09-3",
      "arch": "all",
      "source": "libxml-sax-base-perl",
      "archive": "debian",
      "path": "pool/main/libx/libxml-sax-base-perl/libxml-sax-base-perl_1.09-3_all.deb",
      "sha256": "70315098e411309edff6682aa02a215441080cccf8d6f023ae17cd83945f3705",
      "size": 20616
    },
    "libxml-sax-perl": {
      "name": "libxml-sax-perl",
      "version": "1.02+dfsg-3",
      "arch": "all",
      "source": "libxml-sax-perl",
      "archive": "debian",
      "path": "pool/main/libx/libxml-sax-perl/libxml-sax-perl_1.02+dfsg-3_all.deb",
      "sha256": "3528281efe37b89f4408216d20386b1d09bd05f0249070fd1187d9b171592a6c",
      "size": 59404
    },
    "libxml2": {
      "name": "libxml2",
      "version": "2.9.14+dfsg-1.3~deb12u6",
      "arch": "amd64",
      "source": "libxml2",
      "archive": "debian",
      "path": "pool/main/libx/libxml2/libxml2_2.9.14+dfsg-1.3~deb12u6_amd64.deb",
      "sha256": "4460e39dda10a815881374217cde08474747cfa018358cd8612c14b390eff53b",
      "size": 688760
    },
    "m4": {
      "name": "m4",
      "version": "1.4.19-3",
      "arch": "amd64",
      "source": "m4",
      "archive": "debian",
      "path": "pool/main/m/m4/m4_1.4.19-3_amd64.deb",
      "sha256": "b2dd7bfca426712416e651bb5ff6dabe7d05e4caebbac61d714dbe261b31e4c3",
      "size": 286836
    },
    "man-db": {
      "name": "man-db",
      "version": "2.11.2-2",
      "arch": "amd64",
      "source": "man-db",
      "archive": "debian",
      "path": "pool/main/m/man-db/man-db_2.11.2-2_amd64.deb",
      "sha256": "4134d16ea0233ebe78b2d1d271194fcf49a69eb2850421b0f3d76055e221fcea",
      "size": 1385848
    },
    "media-types": {
      "name": "media-types",
      "version": "10.0.0",
      "arch": "all",
      "source": "media-types",
      "archive": "debian",
      "path": "pool/main/m/media-types/media-types_10.0.0_all.deb",
      "sha256": "aaa46dcb3b39948ae2e0fdb72cfcb2f48c0b59f19785a3da8045c05eb19955dd",
      "size": 26136
    },
    "po-debconf": {
      "name": "po-debconf",
      "version": "1.0.21+nmu1",
      "arch": "all",
      "source": "po-debconf",
      "archive": "debian",
      "path": "pool/main/p/po-debconf/po-debconf_1.0.21+nmu1_all.deb",
      "sha256": "613e31942c17b582e8c76db1077240f177f2f67bad22e5f4f8e5bee523d6f54b",
      "size": 247668
    },
    "python3": {
      "name": "python3",
      "version": "3.11.2-1+b1",
      "arch": "amd64",
      "source": "python3-defaults",
      "archive": "debian",
      "path": "pool/main/p/python3-defaults/python3_3.11.2-1+b1_amd64.deb",
      "sha256": "33f6dafbd1a6902d9063172ec7dbd4b2225e12009e0d7ec5c933a72c2f5f3b74",
      "size": 26300
    },
    "python3-minimal": {
      "name": "python3-minimal",
      "version": "3.11.2-1+b1",
      "arch": "amd64",
      "source": "python3-defaults",
      "archive": "debian",
      "path": "pool/main/p/python3-defaults/python3-minimal_3.11.2-1+b1_amd64.deb",
      "sha256": "30f9618670e686d781afbfc713eb0830c29d2819e9cb2a0488800dad6bb99faa",
      "size": 26312
    },
    "python3.11": {
      "name": "python3.11",
      "version": "3.11.2-6+deb12u9",
      "arch": "amd64",
      "source": "python3.11",
      "archive": "debian-security",
      "path": "pool/updates/main/p/python3.11/python3.11_3.11.2-6+deb12u9_amd64.deb",
      "sha256": "4facf334e0e0830a87013852f8c3a1cfee11ad702f72f240adf9ad5b9a334e7c",
      "size": 575032
    },
    "python3.11-minimal": {
      "name": "python3.11-minimal",
      "version": "3.11.2-6+deb12u9",
      "arch": "amd64",
      "source": "python3.11",
      "archive": "debian-security",
      "path": "pool/updates/main/p/python3.11/python3.11-minimal_3.11.2-6+deb12u9_amd64.deb",
      "sha256": "b5f855ab922dfcd5d1a3223b2118c3dae13ffc7751b0cd5dc24740386323a33a",
      "size": 2054684
    },
    "readline-common": {
      "name": "readline-common",
      "version": "8.2-1.3",
      "arch": "all",
      "source": "readline",
      "archive": "debian",
      "path": "pool/main/r/readline/readline-common_8.2-1.3_all.deb",
      "sha256": "69317523fe56429aa361545416ad339d138c1500e5a604856a80dd9074b4e35c",
      "size": 68988
    },
    "sensible-utils": {
      "name": "sensible-utils",
      "version": "0.0.17+nmu1",
      "arch": "all",
      "source": "sensible-utils",
      "archive": "debian",
      "path": "pool/main/s/sensible-utils/sensible-utils_0.0.17+nmu1_all.deb",
      "sha256": "e0e66f783996ec4670ed5041c446160ec671c723d4be47d3bc27af93c2958a76",
      "size": 19020
    },
    "tex-common": {
      "name": "tex-common",
      "version": "6.18",
      "arch": "all",
      "source": "tex-common",
      "archive": "debian",
      "path": "pool/main/t/tex-common/tex-common_6.18_all.deb",
      "sha256": "030eb9e841914787ae91d33b24289e5c95029db4ba89d8cb67bb43d29f1513d0",
      "size": 32480
    },
    "texinfo": {
      "name": "texinfo",
      "version": "6.8-6+b1",
      "arch": "amd64",
      "source": "texinfo",
      "archive": "debian",
      "path": "pool/main/t/texinfo/texinfo_6.8-6+b1_amd64.deb",
      "sha256": "e397ec5b52f54db5ad82b1f95e62f2ae85fe2c728f3cf94a8af77bdf57340389",
      "size": 1815916
    },
    "ucf": {
      "name": "ucf",
      "version": "3.0043+nmu1+deb12u1",
      "arch": "all",
      "source": "ucf",
      "archive": "debian",
      "path": "pool/main/u/ucf/ucf_3.0043+nmu1+deb12u1_all.deb",
      "sha256": "928f2d5d327ef0f8d1b9c03a506134f56564cd2acf3e9f041df3dbdc68b00525",
      "size": 55312
    }
  },
  "inputs": {
    "linux-source-6.1": {
      "name": "linux-source-6.1",
      "version": "6.1.192-3",
      "arch": "all",
      "source": "linux",
      "archive": "debian-security",
      "path": "pool/updates/main/l/linux/linux-source-6.1_6.1.192-3_all.deb",
      "sha256": "5259c57ca92092da39bd2ea803046da0e3c28f2b6a11ea20f6297468188ceb67",
      "size": 139330232
    }
  },
  "passedOver": [
    {
      "kind": "source",
      "name": "zlib",
      "version": "1:1.2.13.dfsg-1+deb12u1",
      "suite": "bookworm-security",
      "why": "zlib_1.2.13.dfsg-1+deb12u1.dsc: HTTP 404"
    }
  ],
  "warnings": [
    "zlib: the lock builds source 1:1.2.13.dfsg-1, but Debian's binary lib32z1 1:1.2.13.dfsg-1+deb12u1 (bookworm-security) comes from source 1:1.2.13.dfsg-1+deb12u1, which the archive does not serve (zlib_1.2.13.dfsg-1+deb12u1.dsc: HTTP 404): the XSC build 1:1.2.13.dfsg-1+xsc1 sorts above Debian's without carrying its changes (e.g. a security fix)"
  ]
} as const;
