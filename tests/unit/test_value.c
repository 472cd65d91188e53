/*
 * test_value.c - the value model (runtime/value.c) against Python: repr()
 * of floats (shortest round trip), str() and repr() of strings with every
 * kind of escape and of nested values, equality (1 == 1.0, True == 1,
 * NaN), ordering, truthiness, maps and UTF-8 decoding.
 *
 * Every expected string below was printed by Python 3.11 (repr(), str(),
 * ==, bool(), <) on the same values and pasted here as literals; the
 * floats are specials, powers of two and ten, and seeded random doubles.
 */
#include "af_int.h"
#include "t.h"

#include <math.h>
#include <stdlib.h>

#define T_SUITE "value"

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static af_value *J(af_arena *a, const char *text)
{
    af_value *v = NULL;
    char err[256];
    if (af_json_parse(a, text, strlen(text), &v, err, sizeof err) < 0) {
        printf("#   bad fixture %s: %s\n", text, err);
        t_failed_checks++;
        return af_null();
    }
    return v;
}

/* ---- float repr ---------------------------------------------------------- */

static const struct {
    uint64_t bits;
    const char *repr;
} floats[] = {
    {0x3fb999999999999aULL, "0.1"},
    {0x4341c37937e08000ULL, "1e+16"},
    {0x3ee4f8b588e368f1ULL, "1e-05"},
    {0x4028000000000000ULL, "12.0"},
    {0x4059100000000000ULL, "100.25"},
    {0x8000000000000000ULL, "-0.0"},
    {0x437b69b4ba630f35ULL, "1.2345678901234568e+17"},
    {0x7ff0000000000000ULL, "inf"},
    {0xfff0000000000000ULL, "-inf"},
    {0x0000000000000000ULL, "0.0"},
    {0x4480f0cf064dd592ULL, "1e+22"},
    {0x3e7ad7f29abcaf48ULL, "1e-07"},
    {0x0000000000000001ULL, "5e-324"},
    {0x7fefffffffffffffULL, "1.7976931348623157e+308"},
    {0x0010000000000000ULL, "2.2250738585072014e-308"},
    {0x42dc12218377de66ULL, "123456789012345.6"},
    {0x43118b54f22aeb03ULL, "1234567890123456.8"},
    {0x3f1a36e2eb1c432dULL, "0.0001"},
    {0x3ee4f8b588e368f1ULL, "1e-05"},
    {0x4341c37937e07fffULL, "9999999999999998.0"},
    {0x430c6bf526340000ULL, "1000000000000000.0"},
    {0x40091eb851eb851fULL, "3.14"},
    {0x3efa36e2eb1c432dULL, "2.5e-05"},
    {0xbff8000000000000ULL, "-1.5"},
    {0x3fd5555555555555ULL, "0.3333333333333333"},
    {0x4340000000000000ULL, "9007199254740992.0"},
    {0x43e0000000000000ULL, "9.223372036854776e+18"},
    {0xc3e0000000000000ULL, "-9.223372036854776e+18"},
    {0x54b249ad2594c37dULL, "1e+100"},
    {0x2b2bff2ee48e0530ULL, "1e-100"},
    {0x3fd3333333333333ULL, "0.3"},
    {0x3fe6666666666666ULL, "0.7"},
    {0x3ff199999999999aULL, "1.1"},
    {0x4005666666666666ULL, "2.675"},
    {0x44b52d02c7e14af6ULL, "1e+23"},
    {0x4340000000000000ULL, "9007199254740992.0"},
    {0x4011666666666666ULL, "4.35"},
    {0x3fd3333333333334ULL, "0.30000000000000004"},
    {0x0000000000000003ULL, "1.5e-323"},
    {0x7fe0000000000000ULL, "8.98846567431158e+307"},
    {0x0010000000000000ULL, "2.2250738585072014e-308"},
    {0x0000000000000001ULL, "5e-324"},
    {0x430c6bf52633ffffULL, "999999999999999.9"},
    {0x4341c37937e08000ULL, "1e+16"},
    {0x4376345785d8a000ULL, "1e+17"},
    {0x3f202e7ef70994ddULL, "0.000123456"},
    {0x43118b54f2236200ULL, "1234567890000000.0"},
    {0x0000000000000001ULL, "5e-324"},
    {0x0000002000000000ULL, "6.7903865311e-313"},
    {0x0170000000000000ULL, "9.332636185032189e-302"},
    {0x03c0000000000000ULL, "1.2826677504057426e-290"},
    {0x0610000000000000ULL, "1.7628851326804976e-279"},
    {0x0860000000000000ULL, "2.4228908772695546e-268"},
    {0x0ab0000000000000ULL, "3.329995865487836e-257"},
    {0x0d00000000000000ULL, "4.5767114681873503e-246"},
    {0x0f50000000000000ULL, "6.290184345309701e-235"},
    {0x11a0000000000000ULL, "8.645163535653227e-224"},
    {0x13f0000000000000ULL, "1.188182228934475e-212"},
    {0x1640000000000000ULL, "1.6330252207878255e-201"},
    {0x1890000000000000ULL, "2.2444127733846047e-190"},
    {0x1ae0000000000000ULL, "3.084697427331692e-179"},
    {0x1d30000000000000ULL, "4.239575861902385e-168"},
    {0x1f80000000000000ULL, "5.826828696250162e-157"},
    {0x21d0000000000000ULL, "8.008332380732404e-146"},
    {0x2420000000000000ULL, "1.1006568214637918e-134"},
    {0x2670000000000000ULL, "1.512731216738015e-123"},
    {0x28c0000000000000ULL, "2.07908195312898e-112"},
    {0x2b10000000000000ULL, "2.8574684782056875e-101"},
    {0x2d60000000000000ULL, "3.9272747722381812e-90"},
    {0x2fb0000000000000ULL, "5.397605346934028e-79"},
    {0x3200000000000000ULL, "7.418412301374843e-68"},
    {0x3450000000000000ULL, "1.0195788231247695e-56"},
    {0x36a0000000000000ULL, "1.401298464324817e-45"},
    {0x38f0000000000000ULL, "1.925929944387236e-34"},
    {0x3b40000000000000ULL, "2.6469779601696886e-23"},
    {0x3d90000000000000ULL, "3.637978807091713e-12"},
    {0x3fe0000000000000ULL, "0.5"},
    {0x4230000000000000ULL, "68719476736.0"},
    {0x4480000000000000ULL, "9.44473296573929e+21"},
    {0x46d0000000000000ULL, "1.298074214633707e+33"},
    {0x4920000000000000ULL, "1.78405961588245e+44"},
    {0x4b70000000000000ULL, "2.4519928653854222e+55"},
    {0x4dc0000000000000ULL, "3.36999333339383e+66"},
    {0x5010000000000000ULL, "4.631683569492648e+77"},
    {0x5260000000000000ULL, "6.365737426045269e+88"},
    {0x54b0000000000000ULL, "8.749002899132048e+99"},
    {0x5700000000000000ULL, "1.2024538023802026e+111"},
    {0x5950000000000000ULL, "1.6526399219756215e+122"},
    {0x5ba0000000000000ULL, "2.2713710134237715e+133"},
    {0x5df0000000000000ULL, "3.1217485503159922e+144"},
    {0x6040000000000000ULL, "4.290498537581631e+155"},
    {0x6290000000000000ULL, "5.896816288783659e+166"},
    {0x64e0000000000000ULL, "8.10452259547069e+177"},
    {0x6730000000000000ULL, "1.1138771039116688e+189"},
    {0x6980000000000000ULL, "1.5309010345804195e+200"},
    {0x6bd0000000000000ULL, "2.1040543606193494e+211"},
    {0x6e20000000000000ULL, "2.891790293717215e+222"},
    {0x7070000000000000ULL, "3.974446316289815e+233"},
    {0x72c0000000000000ULL, "5.462437423415177e+244"},
    {0x7510000000000000ULL, "7.5075168288047e+255"},
    {0x7760000000000000ULL, "1.0318252561243462e+267"},
    {0x79b0000000000000ULL, "1.418129833677085e+278"},
    {0x7c00000000000000ULL, "1.94906280228e+289"},
    {0x7e50000000000000ULL, "2.6787715179656683e+300"},
    {0x00000000000007e8ULL, "1e-320"},
    {0x0244ed8b04671da5ULL, "1e-297"},
    {0x070bb2a62fe638ffULL, "1e-274"},
    {0x0bd25432b14ecea3ULL, "1e-251"},
    {0x1098421286c9bf6bULL, "1e-228"},
    {0x15600d7b2e28c65cULL, "1e-205"},
    {0x1a253eda614071a4ULL, "1e-182"},
    {0x1eec1e43171a4a11ULL, "1e-159"},
    {0x23b29b69070816e3ULL, "1e-136"},
    {0x2878a0522c7e7095ULL, "1e-113"},
    {0x2d404bd984990e6fULL, "1e-90"},
    {0x32059165a6ddda5bULL, "1e-67"},
    {0x36cc8b8218854567ULL, "1e-44"},
    {0x3b92e3b40a0e9b4fULL, "1e-21"},
    {0x4059000000000000ULL, "100.0"},
    {0x45208b2a2c280291ULL, "1e+25"},
    {0x49e5e531a0a1c873ULL, "1e+48"},
    {0x4eacfa698c95390cULL, "1e+71"},
    {0x53732d17ed577d0cULL, "1e+94"},
    {0x583961219000356bULL, "1e+117"},
    {0x5d00cb70d24b7379ULL, "1e+140"},
    {0x61c63a432c8f5cd6ULL, "1e+163"},
    {0x668d6affe45f818fULL, "1e+186"},
    {0x6b537798f4285630ULL, "1e+209"},
    {0x7019c3bc80c85c7fULL, "1e+232"},
    {0x74e10cb132c2ff63ULL, "1e+255"},
    {0x79a6909f3b92c83dULL, "1e+278"},
    {0x7e6ddd4baa009303ULL, "1e+301"},
    {0x410edf2800000000ULL, "252901.0"},
    {0x6301bbfca0c5154eULL, "8.366083837224308e+168"},
    {0x6fced11d2bd8a1e6ULL, "3.7377905700828535e+230"},
    {0x3c94b07163401cc0ULL, "7.178018651324005e-17"},
    {0x434a6d61f7866c71ULL, "1.4877233853028578e+16"},
    {0x437613d159331e9dULL, "9.942782965199099e+16"},
    {0x3e0f28b2701227eaULL, "9.068454599590213e-10"},
    {0x41265cb828318b93ULL, "732764.078503"},
    {0x4376175033d4fb9aULL, "9.948932355284829e+16"},
    {0x43d4c37d8c73e93cULL, "5.984710173642781e+18"},
    {0xc3605985190bb732ULL, "-3.681622250472898e+16"},
    {0x43ddad4e740d1551ULL, "8.553806633654109e+18"},
    {0x3a34cbff758b19f2ULL, "2.6249336204909635e-28"},
    {0xc1b87f1a7323691bULL, "-410983027.13832253"},
    {0xc364736b5d0a743eULL, "-4.60512359509939e+16"},
    {0x40fa13a65379fa98ULL, "106810.39538"},
    {0x436876ec3a34e9fbULL, "5.5089251215691736e+16"},
    {0x411c217c26e978d5ULL, "460895.038"},
    {0x44b18a3525fb9358ULL, "8.282971063462429e+22"},
    {0x434e5f107a7aaed3ULL, "1.709754736059127e+16"},
    {0x4118c98d2447c30dULL, "406115.28543"},
    {0x434b10ae5343180cULL, "1.5236330556895256e+16"},
    {0xc10033c4e147ae14ULL, "-132728.61"},
    {0xc11b017066666666ULL, "-442460.1"},
    {0x43728bb5466e6d29ULL, "8.352256428440437e+16"},
    {0x2ee05f69614d292eULL, "6.742354000926715e-83"},
    {0x3c650b82e6979d2aULL, "9.126799202224634e-18"},
    {0x3bc09036bce23146ULL, "7.014845329362101e-21"},
    {0x3b32e00357365e88ULL, "1.561307622716416e-23"},
    {0x3dd701e6796de252ULL, "8.370051731337579e-11"},
    {0xa8d12dea1ddfc65eULL, "-4.464660501216144e-112"},
    {0x3a87e49aad82a27eULL, "9.650299868048347e-27"},
    {0xc119c6939999999aULL, "-422308.9"},
    {0x43c0e5d5526e3f77ULL, "2.4352276485745495e+18"},
    {0x42b3bbb3c8513aa8ULL, "21696896061754.656"},
    {0x4370d83594992b47ULL, "7.586118824484568e+16"},
    {0x411131ed41e5c0baULL, "281723.314353"},
    {0x7b982ff13ad8132fULL, "2.301880725643333e+287"},
    {0xc371cb151b4d2264ULL, "-8.013385786996486e+16"},
    {0x43027193a08acb02ULL, "648928556046688.2"},
    {0x435f8529e9b5ffe7ULL, "3.548855735681014e+16"},
    {0xc114bec700000000ULL, "-339889.75"},
    {0x4066e3c7e312629eULL, "183.11815026846756"},
    {0x446008aa6d244bbdULL, "2.366178693442832e+21"},
    {0x4162c2561431b9b6ULL, "9835184.63107"},
    {0x911de6fd62689db9ULL, "-3.155643393348042e-226"},
    {0x4129de2e00000000ULL, "847639.0"},
    {0x4c60b310b26f7395ULL, "8.385943540108865e+59"},
    {0xf8095d20fb5f96e1ULL, "-1.6749435809741699e+270"},
    {0x6a28a832f30a0dd6ULL, "2.4158380029258658e+203"},
    {0x332c97770f4571a3ULL, "3.4751238249601057e-62"},
    {0xc33826ff5bb397dfULL, "-6798277638068191.0"},
    {0x4361787f2365f3cfULL, "3.93404964331598e+16"},
    {0xc12e362940000000ULL, "-989972.625"},
    {0x4512f6f9a8dc1c4dULL, "5.731743078688755e+24"},
    {0x766487efc104ec5fULL, "2.020302439300865e+262"},
    {0x3a3ecab29112ffb1ULL, "3.8864699412921923e-28"},
    {0x435d1ec69944d03cULL, "3.2786450593562864e+16"},
    {0x4360f894f2c3a98aULL, "3.821534591302357e+16"},
    {0xc12bc59bb3b645a2ULL, "-910029.851"},
    {0x43d3828fea5cd410ULL, "5.623377081742148e+18"},
    {0x412c231d53927d46ULL, "921998.663227"},
    {0x7ce10609e9f94ec3ULL, "3.397636469014817e+293"},
    {0xc3620f232f74edbfULL, "-4.066554700204799e+16"},
    {0xbf79107e0ab9cd3aULL, "-0.00611924395672086"},
    {0x4118805333333333ULL, "401428.8"},
    {0x437461afdf454433ULL, "9.179052043588485e+16"},
    {0xc34ef8acf511f326ULL, "-1.7435342061954636e+16"},
    {0x4371a1f37f30114fULL, "7.941026859300171e+16"},
    {0x4040046a2ad92f95ULL, "32.03448997120646"},
    {0x436198b0eaf9f40aULL, "3.962368182397346e+16"},
    {0x1e0a8d5a5f89d41eULL, "5.763578757938787e-164"},
    {0x6d2c8774568b7152ULL, "7.867834968975682e+217"},
    {0x4117368acccccccdULL, "380322.7"},
    {0x26efeb7497ecf2b1ULL, "3.8628799172227942e-121"},
    {0x40c00b413ebab205ULL, "8214.509726845668"},
    {0xc0fa4cb543fe5c92ULL, "-107723.3291"},
    {0xb7569beaa90d1144ULL, "-4.0552993510472976e-42"},
    {0xe2a0f5f3f984c753ULL, "-1.2501806313210883e+167"},
    {0x430268a3a57af5bfULL, "647700205756087.9"},
    {0x1fa056741d0b328dULL, "2.379925827320338e-156"},
    {0x598d9ec43fb8c1b2ULL, "2.447574765185111e+123"},
    {0x3416a51e317821cfULL, "9.018888380687892e-58"},
    {0x436f181a10cab4edULL, "7.001779606373361e+16"},
    {0x40a47d298d82c25bULL, "2622.5811577665568"},
    {0xc1198d1f56041893ULL, "-418631.834"},
    {0x67d15a24c47c1814ULL, "1.2370005185199361e+192"},
    {0x584710f4c67917b6ULL, "1.817711866781145e+117"},
    {0x4057ed5f7bd3e2a9ULL, "95.70895286266263"},
    {0xc12dd2f4bd70a3d7ULL, "-977274.37"},
    {0x40f6d44c37079e5aULL, "93508.763435"},
    {0xc352b00c7e5bfc7aULL, "-2.104046914738225e+16"},
    {0x7fb0ec3ff8c415a3ULL, "1.1883630195728959e+307"},
    {0x3ee148542d656479ULL, "8.240954610871095e-06"},
    {0xd76cc7967468fa7fULL, "-1.3842474782500784e+113"},
    {0x4147e1ea8932448aULL, "3130325.0718465494"},
    {0x436feba45a406cfeULL, "7.187852319492709e+16"},
    {0xc0db5b5c8b439581ULL, "-28013.446"},
    {0x5598f3f08de84c4cULL, "2.2355241060599656e+104"},
    {0x592f3f2344d0a426ULL, "4.0343305719222546e+121"},
    {0xc36a48d322731c4eULL, "-5.918736838196491e+16"},
    {0x41280509472b020cULL, "787076.639"},
    {0x411d5c325916872bULL, "481036.587"},
    {0x3cf4e65567e998d9ULL, "4.64067466471036e-15"},
    {0x43659cbc85adf04cULL, "4.866646417181962e+16"},
    {0x4363a648ba7c36a4ULL, "4.424684683248976e+16"},
    {0x434dc0a2c500b15eULL, "1.6749159294001852e+16"},
    {0x412cc0da9999999aULL, "942189.3"},
    {0xc36a717916be1ef7ULL, "-5.954491424813663e+16"},
    {0x4ba7c6107eb9aac1ULL, "2.9146458143837326e+56"},
    {0x3f4894e7e704c8afULL, "0.0007501728378314277"},
    {0x3a66987aea862f76ULL, "2.2815751201526936e-27"},
    {0xe8e71c56221031efULL, "-2.159434700811269e+197"},
    {0x3fb993b15a2a447aULL, "0.09990986300751273"},
    {0x435453a292f01c9eULL, "2.288582899691993e+16"},
    {0x299e56baebb57ee0ULL, "3.229533701735369e-108"},
    {0x4376073ffd586702ULL, "9.920673443836317e+16"},
    {0x434821c2bd1c7bb6ULL, "1.3585039442376556e+16"},
    {0x3f37e0c6c9378081ULL, "0.0003643498723402486"},
    {0x4368cd92d1617997ULL, "5.5851439222410424e+16"},
    {0xc357d14e6b44122cULL, "-2.681623680649029e+16"},
    {0xc128caa200000000ULL, "-812369.0"},
    {0x93d884b676dfaf45ULL, "-4.5519278242821985e-213"},
    {0x7bdfb5cf0286ddd3ULL, "4.828527478410519e+288"},
    {0x5bfcdc45c7d3571dULL, "1.3110553264274452e+135"},
    {0xd6d45d99abe35db5ULL, "-1.9131816038940956e+110"},
    {0x77ca7077b14c405bULL, "1.0912305878781333e+269"},
    {0xc368bb251ad4f487ULL, "-5.568933983522924e+16"},
    {0x3cc1a4c2d4b7d29eULL, "4.897082152028437e-16"},
    {0x3f7f85551c6ad2d3ULL, "0.007695515122283242"},
    {0xcd7de5f9ad05fe44ULL, "-1.9679142549708573e+65"},
    {0x458d13cd2aa997f3ULL, "1.1248754684380535e+27"},
    {0x5ef7c42878706184ULL, "3.0389138704538557e+149"},
    {0x40b50e3d42e495d1ULL, "5390.239301954819"},
    {0x0b9bfc804d4fd078ULL, "9.54310372265226e-253"},
    {0x4924060fe3743465ULL, "2.232714921299155e+44"},
    {0xc36348fd4bc6fcfcULL, "-4.342621834208253e+16"},
    {0x41c6a024bd93f0f7ULL, "759187835.1557912"},
    {0x274bf7a1b3323322ULL, "2.1661196566056914e-119"},
    {0x3bfbfd25b1c87c38ULL, "9.482993418126592e-20"},
    {0x05e0239715f9f5b5ULL, "2.222753570872426e-280"},
    {0xc373cc39169402a7ULL, "-8.916112194405438e+16"},
    {0x412758d670a3d70aULL, "765035.22"},
    {0x410a6b2e66666666ULL, "216421.8"},
    {0xc6f3b6cd345937c7ULL, "-6.397581052151254e+33"},
    {0x411dbff99999999aULL, "487422.4"},
    {0x43616637bd117ee1ULL, "3.917971348284801e+16"},
    {0xc12b788033333333ULL, "-900160.1"},
    {0x43d6315c76a7f018ULL, "6.396644029546652e+18"},
    {0x40f6933c8ff97247ULL, "92467.78515"},
    {0x40d68e0ae147ae14ULL, "23096.17"},
    {0x3b90b9cfca47a440ULL, "8.85457902135898e-22"},
    {0xc36b98d25cceff21ULL, "-6.21428291104914e+16"},
    {0x1242ce5fc3b6b875ULL, "1.0405262811079146e-220"},
    {0xc34a55e3374da765ULL, "-1.4825567536500426e+16"},
    {0xc11e2f1c66666666ULL, "-494535.1"},
    {0xeeb2a36b0acd2c0bULL, "-1.724742580739455e+225"},
    {0xc36e90b2019ebad9ULL, "-6.882674805662279e+16"},
    {0x7e2a9aba8c572c55ULL, "5.567744771932757e+299"},
    {0xc36782105031d1adULL, "-5.29354483269994e+16"},
    {0x451cb35d993dbb8eULL, "8.674238284757555e+24"},
    {0x4110527000000000ULL, "267420.0"},
    {0xa2176aed4e2ce892ULL, "-1.8753659299574088e-144"},
    {0x40f3d0edb50f7696ULL, "81166.8567042"},
    {0x43613d003cca9361ULL, "3.881716666627559e+16"},
    {0xc20cc0f4ab8265f1ULL, "-15437043056.299776"},
    {0x4303e6edc6748928ULL, "700241683583269.0"},
    {0x2057bc16f882c932ULL, "7.08086679933932e-153"},
    {0xccaff561feabf340ULL, "-2.5677686061489388e+61"},
    {0x4372d4e5fe54d241ULL, "8.481014176580507e+16"},
    {0x40d6764d9999999aULL, "23001.2125"},
    {0x41069cc333333333ULL, "185240.4"},
    {0x435c426e5df395e9ULL, "3.1817364551915428e+16"},
    {0xc364b18d44281842ULL, "-4.659775860957237e+16"},
    {0x3d164871bbc0d9afULL, "1.9791266789090135e-14"},
    {0xc0f374dca3d70a3dULL, "-79693.79"},
    {0xc10e5f44174e65bfULL, "-248808.51138"},
    {0x44e341dc87c1a98aULL, "7.275191393764679e+23"},
    {0xc371e93b8606d321ULL, "-8.066426344028213e+16"},
    {0x7584f973c5d5e078ULL, "1.259726657323137e+258"},
    {0x3d933155d69846e9ULL, "4.36391838727992e-12"},
    {0x41b2c006e94ec6aaULL, "314574569.3077189"},
    {0xc1268de05449dbecULL, "-739056.164626"},
    {0x436f1d6c60e4af02ULL, "7.006460477842843e+16"},
    {0x4121b7550d4fdf3bULL, "580522.526"},
    {0xc12492d03ed740c4ULL, "-674152.122736"},
    {0xc12e54089916872bULL, "-993796.299"},
    {0x23180e8f80b1cdd9ULL, "1.2625868782364679e-139"},
    {0xbd27cbdb9035a1ebULL, "-4.2270754044368216e-14"},
    {0xc12523d99999999aULL, "-692716.8"},
    {0xc371f1f49c2bf430ULL, "-8.081771997634637e+16"},
    {0x1201620da89c2612ULL, "6.011162341875613e-222"},
    {0xc116fa4c00000000ULL, "-376467.0"},
    {0xec698163b1b9d74aULL, "-1.7172737879630646e+214"},
    {0x9a226f8756722f93ULL, "-8.67743368410703e-183"},
    {0x41262188cccccccdULL, "725188.4"},
    {0xf82d70f4753ab547ULL, "-7.776820434306218e+270"},
    {0xc36d74705eceb246ULL, "-6.63264024029804e+16"},
    {0x4114e25800000000ULL, "342166.0"},
    {0xc362f7bbc32dbeccULL, "-4.271148309033533e+16"},
    {0x1d2c4ee72643cb53ULL, "3.7504632233286106e-168"},
    {0x43703d8cf678314fULL, "7.314040427453362e+16"},
    {0x4374c5f1256730a4ULL, "9.355422463236768e+16"},
    {0x3e04e8fdf427055dULL, "6.085647335931254e-10"},
    {0xa73d0cc35e3a6a95ULL, "-1.124982377841251e-119"},
    {0x3bebf943f03a910aULL, "4.7389279098252825e-20"},
    {0xc362cb0fd6268869ULL, "-4.231854766871431e+16"},
    {0x4118ad8000000000ULL, "404320.0"},
    {0xd635a822d82329f4ULL, "-1.986791952543658e+107"},
    {0x435cc991b4f483aeULL, "3.241170796505055e+16"},
    {0x4359d8aed0c3c06bULL, "2.9100479024660908e+16"},
    {0x23c546b54dadf8c7ULL, "2.286894437051602e-136"},
    {0x412a337cb851eb85ULL, "858558.36"},
    {0xc12002cfeb851eb8ULL, "-524647.96"},
    {0x40f17507b3ce63a6ULL, "71504.481398"},
    {0x4126b7bdb463497bULL, "744414.85232"},
    {0x4119a87a51eb851fULL, "420382.58"},
    {0xc34a8cbd78af5996ULL, "-1.4946189591884588e+16"},
    {0xbc4e04db14434f74ULL, "-3.2546630194054433e-18"},
    {0xc3647becdc610b9eULL, "-4.612605419247128e+16"},
    {0x3b5df8c21c87ea19ULL, "9.916807605352443e-23"},
    {0xc363c8f642859c28ULL, "-4.455187648852e+16"},
    {0xc0f2c4fa0c49ba5eULL, "-76879.628"},
    {0xc11b9aa191f0c34cULL, "-452264.39252"},
    {0x41217f04793d5348ULL, "573314.236796"},
    {0x4224e15b9681e58eULL, "44840110912.94835"},
    {0x43651684d6ae6a55ULL, "4.748587443338103e+16"},
    {0x3d8b6ce37fa35213ULL, "3.117900900285021e-12"},
    {0x411ec35800000000ULL, "504022.0"},
    {0xc11fd5036ba12b5eULL, "-521536.855107"},
    {0x5ca9ee0121adcc39ULL, "2.4123793323049192e+138"},
    {0xc11e3d4c3e76c8b4ULL, "-495443.061"},
    {0xacf65580b57ce4d0ULL, "-4.282799603655853e-92"},
    {0xc11a1a35386c2268ULL, "-427661.3051"},
    {0x422dadcd93f9d919ULL, "63734991356.92402"},
    {0xc12782270f5c28f6ULL, "-770323.53"},
    {0xc37371a5e5a96653ULL, "-8.756771030606776e+16"},
    {0x436dc7989c2454aeULL, "6.705786074553688e+16"},
    {0x8d360f05bc65a373ULL, "-5.047810977826211e-245"},
    {0x4371f6e987abb98bULL, "8.09049194891573e+16"},
    {0x8b6ba80cca7afc61ULL, "-1.1788268554792504e-253"},
    {0xc35f7c94c25a1a1dULL, "-3.5450810542876788e+16"},
    {0xc124e46600000000ULL, "-684595.0"},
    {0x4366ca99e05ff018ULL, "5.132169384660192e+16"},
    {0x42c5658fd6d12f15ULL, "47051898200670.164"},
    {0x43660a6be2dff111ULL, "4.963126377391937e+16"},
    {0xc1214d82c4e8060eULL, "-566977.3845827"},
    {0x412dc537f9f8e3acULL, "975515.988227"},
    {0xc33230999a74443bULL, "-5119985860232251.0"},
    {0x434465a2c36a3b8cULL, "1.1482498543679256e+16"},
    {0x412d9efed944ed70ULL, "970623.424354"},
    {0x4361eca53115eac9ULL, "4.0362150730880584e+16"},
    {0x74db400246ce6802ULL, "7.991409936748228e+254"},
    {0x436eb5cf0aa8312eULL, "6.915320114377765e+16"},
    {0x42e84f6d03ccfd00ULL, "213835283589096.0"},
    {0xc36d1a8792785a63ULL, "-6.553555123901724e+16"},
    {0xc35b0caa622f6ae5ULL, "-3.0455001209744276e+16"},
    {0x43700cf2da7200ddULL, "7.228538902230165e+16"},
    {0x3cfcbcbc1c4bcef2ULL, "6.3809502879151475e-15"},
    {0xbd0908592e78cfd5ULL, "-1.1116712351619338e-14"},
    {0x3bed98d7a7399ff5ULL, "5.013933707077419e-20"},
    {0xc128a62c2f39a96fULL, "-807702.0922368"},
    {0xd7eedb00646bdb60ULL, "-3.799273771012167e+115"},
    {0x435c07648acce208ULL, "3.1557711018821664e+16"},
    {0x40ab2ff53228c7e9ULL, "3479.978898310092"},
    {0xc0e081e0617c1bdaULL, "-33807.0119"},
    {0x3ea988c756a6ef50ULL, "7.609811921087035e-07"},
    {0x4123883200000000ULL, "640025.0"},
    {0x43f25e833cc3c3c3ULL, "2.117823419998668e+19"},
    {0x4104f686e6d71f36ULL, "171728.862715"},
    {0xf7f4ac849b8b7353ULL, "-6.826192174083454e+269"},
    {0x3d6dddeb6366b576ULL, "8.488675857223394e-13"},
    {0x39aaf3e077644e02ULL, "6.644339691819495e-31"},
    {0xab5ed86162663931ULL, "-8.8139289480219e-100"},
    {0xcd4557de98a15fd1ULL, "-1.756019958971572e+64"},
    {0x412acab7f0a3d70aULL, "877915.97"},
    {0x4103af86b851eb85ULL, "161264.84"},
    {0x4352fcd209eec408ULL, "2.1378114483064864e+16"},
    {0x412227250f5c28f6ULL, "594834.53"},
    {0x277507d9610635f0ULL, "1.3030906648525567e-118"},
    {0x3d3731fc46618840ULL, "8.240610206612109e-14"},
    {0x80cd357b884dcaa1ULL, "-8.31897547314686e-305"},
    {0x3c2cc8407d88fd8cULL, "7.801440170137351e-19"},
    {0xaf51ef81aac6fda5ULL, "-9.454017677391016e-81"},
    {0xc25a94bf1077320cULL, "-456658797020.782"},
    {0x42c43e22612833eeULL, "44514194640999.86"},
    {0x412e5aac00000000ULL, "994646.0"},
    {0x157361342737d62cULL, "2.4145158546605075e-205"},
};

static void test_float_repr(void)
{
    af_buf b = {0};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        af_buf_reset(&b);
        af_py_float(&b, from_bits(floats[i].bits));
        T_STREQ(af_buf_cstr(&b), floats[i].repr);
    }
    af_buf_reset(&b);
    af_py_float(&b, NAN);
    T_STREQ(af_buf_cstr(&b), "nan");
    af_buf_reset(&b);
    af_py_float(&b, -NAN); /* Python prints nan whatever the sign */
    T_STREQ(af_buf_cstr(&b), "nan");
    af_buf_free(&b);
}

/* ---- string repr --------------------------------------------------------- */

static const struct {
    const char *bytes;
    size_t len;
    const char *repr; /* repr(bytes.decode('utf-8', 'surrogateescape')) */
} strs[] = {
    {"", 0, "''"},
    {"a", 1, "'a'"},
    {"it's", 4, "\"it's\""},
    {"say \"hi\"", 8, "'say \"hi\"'"},
    {"it's \"x\"", 8, "'it\\'s \"x\"'"},
    {"back\\slash", 10, "'back\\\\slash'"},
    {"\x0a\x0d\x09", 3, "'\\n\\r\\t'"},
    {"\x00nul", 4, "'\\x00nul'"},
    {"\x01\x1f\x7f", 3, "'\\x01\\x1f\\x7f'"},
    {"\x80", 1, "'\\udc80'"},
    {"\xff\xfe", 2, "'\\udcff\\udcfe'"},
    {"caf\xc3\xa9", 5, "'caf\xc3\xa9'"},
    {"\xe4\xb8\xad\xe6\x96\x87", 6, "'\xe4\xb8\xad\xe6\x96\x87'"},
    {"\xf0\x9f\x98\x80", 4, "'\xf0\x9f\x98\x80'"},
    {"\xc2\xa0", 2, "'\\xa0'"},
    {"\xc2\xad", 2, "'\\xad'"},
    {"\xe2\x80\xa8", 3, "'\\u2028'"},
    {"\xe2\x80\x8b", 3, "'\\u200b'"},
    {"\xef\xbb\xbf", 3, "'\\ufeff'"},
    {"\xee\x80\x80", 3, "'\\ue000'"},
    {"\xcd\xb8", 2, "'\\u0378'"},
    {"\xf3\xa0\x80\x81", 4, "'\\U000e0001'"},
    {"\xf4\x8f\xbf\xbd", 4, "'\\U0010fffd'"},
    {"\xf0\x9f\x98\x80x\xcc\x81", 7, "'\xf0\x9f\x98\x80x\xcc\x81'"},
    {"\xed\xa0\x80", 3, "'\\ud800'"},
    {"\xc0\x80", 2, "'\\udcc0\\udc80'"},
    {"\xf4\x90\x80\x80", 4, "'\\udcf4\\udc90\\udc80\\udc80'"},
    {"\xe2\x82", 2, "'\\udce2\\udc82'"},
    {"tab\x09here", 8, "'tab\\there'"},
    {"mixed ' and \" quotes", 20, "'mixed \\' and \" quotes'"},
    {"'", 1, "\"'\""},
    {"\"", 1, "'\"'"},
    {"\\", 1, "'\\\\'"},
    {"\xc2\x85\xc2\x9f\xc2\xa0", 6, "'\\x85\\x9f\\xa0'"},
    {"\xe3\x80\x80", 3, "'\\u3000'"},
    {"\xc3\x9f\xe2\x88\x82\xc6\x92", 7, "'\xc3\x9f\xe2\x88\x82\xc6\x92'"},
};

static void test_str_repr(void)
{
    af_arena *a = af_arena_new();
    af_buf b = {0};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        af_value *v = af_strn(a, strs[i].bytes, strs[i].len);
        af_buf_reset(&b);
        af_py_repr(&b, v);
        T_STREQ(af_buf_cstr(&b), strs[i].repr);
        /* str() of a string is the string itself, bytes and all */
        af_buf_reset(&b);
        af_py_str(&b, v);
        T_INTEQ(b.len, strs[i].len);
        T_CHECK(b.len == 0 || memcmp(b.data, strs[i].bytes, b.len) == 0);
    }
    af_buf_free(&b);
    af_arena_free(a);
}

/* ---- repr and str of whole values ---------------------------------------- */

static const struct {
    const char *json, *repr, *str, *dumps, *dumps_ascii, *dumps_compact;
} vals[] = {
    {"null",
     "None",
     "None",
     "null",
     "null",
     "null"},
    {"true",
     "True",
     "True",
     "true",
     "true",
     "true"},
    {"false",
     "False",
     "False",
     "false",
     "false",
     "false"},
    {"0",
     "0",
     "0",
     "0",
     "0",
     "0"},
    {"-1",
     "-1",
     "-1",
     "-1",
     "-1",
     "-1"},
    {"9223372036854775807",
     "9223372036854775807",
     "9223372036854775807",
     "9223372036854775807",
     "9223372036854775807",
     "9223372036854775807"},
    {"-9223372036854775808",
     "-9223372036854775808",
     "-9223372036854775808",
     "-9223372036854775808",
     "-9223372036854775808",
     "-9223372036854775808"},
    {"1.0",
     "1.0",
     "1.0",
     "1.0",
     "1.0",
     "1.0"},
    {"-0.0",
     "-0.0",
     "-0.0",
     "-0.0",
     "-0.0",
     "-0.0"},
    {"1e16",
     "1e+16",
     "1e+16",
     "1e+16",
     "1e+16",
     "1e+16"},
    {"0.1",
     "0.1",
     "0.1",
     "0.1",
     "0.1",
     "0.1"},
    {"NaN",
     "nan",
     "nan",
     "NaN",
     "NaN",
     "NaN"},
    {"Infinity",
     "inf",
     "inf",
     "Infinity",
     "Infinity",
     "Infinity"},
    {"-Infinity",
     "-inf",
     "-inf",
     "-Infinity",
     "-Infinity",
     "-Infinity"},
    {"\"\"",
     "''",
     "",
     "\"\"",
     "\"\"",
     "\"\""},
    {"\"x\"",
     "'x'",
     "x",
     "\"x\"",
     "\"x\"",
     "\"x\""},
    {"[]",
     "[]",
     "[]",
     "[]",
     "[]",
     "[]"},
    {"{}",
     "{}",
     "{}",
     "{}",
     "{}",
     "{}"},
    {"[[]]",
     "[[]]",
     "[[]]",
     "[[]]",
     "[[]]",
     "[[]]"},
    {"{\"a\": {}}",
     "{'a': {}}",
     "{'a': {}}",
     "{\"a\": {}}",
     "{\"a\": {}}",
     "{\"a\":{}}"},
    {"[\"a\", 1, 2.5, true, null]",
     "['a', 1, 2.5, True, None]",
     "['a', 1, 2.5, True, None]",
     "[\"a\", 1, 2.5, true, null]",
     "[\"a\", 1, 2.5, true, null]",
     "[\"a\",1,2.5,true,null]"},
    {"{\"k\": null, \"n\": [1, {\"x\": \"y\"}]}",
     "{'k': None, 'n': [1, {'x': 'y'}]}",
     "{'k': None, 'n': [1, {'x': 'y'}]}",
     "{\"k\": null, \"n\": [1, {\"x\": \"y\"}]}",
     "{\"k\": null, \"n\": [1, {\"x\": \"y\"}]}",
     "{\"k\":null,\"n\":[1,{\"x\":\"y\"}]}"},
    {"{\"it's\": \"say \\\"hi\\\"\", \"\\u00e9\": \"\\ud83d\\ude00\"}",
     "{\"it's\": 'say \"hi\"', '\xc3\xa9': '\xf0\x9f\x98\x80'}",
     "{\"it's\": 'say \"hi\"', '\xc3\xa9': '\xf0\x9f\x98\x80'}",
     "{\"it's\": \"say \\\"hi\\\"\", \"\xc3\xa9\": \"\xf0\x9f\x98\x80\"}",
     "{\"it's\": \"say \\\"hi\\\"\", \"\\u00e9\": \"\\ud83d\\ude00\"}",
     "{\"it's\":\"say \\\"hi\\\"\",\"\xc3\xa9\":\"\xf0\x9f\x98\x80\"}"},
    {"[\"\\n\\t\\r\\b\\f\\u0000\\u001f\\u007f/\"]",
     "['\\n\\t\\r\\x08\\x0c\\x00\\x1f\\x7f/']",
     "['\\n\\t\\r\\x08\\x0c\\x00\\x1f\\x7f/']",
     "[\"\\n\\t\\r\\b\\f\\u0000\\u001f\x7f/\"]",
     "[\"\\n\\t\\r\\b\\f\\u0000\\u001f\\u007f/\"]",
     "[\"\\n\\t\\r\\b\\f\\u0000\\u001f\x7f/\"]"},
    {"{\"a\": 1, \"b\": [1.5, -0.0, 1e-05, 12.0], \"c\": {\"d\": false}}",
     "{'a': 1, 'b': [1.5, -0.0, 1e-05, 12.0], 'c': {'d': False}}",
     "{'a': 1, 'b': [1.5, -0.0, 1e-05, 12.0], 'c': {'d': False}}",
     "{\"a\": 1, \"b\": [1.5, -0.0, 1e-05, 12.0], \"c\": {\"d\": false}}",
     "{\"a\": 1, \"b\": [1.5, -0.0, 1e-05, 12.0], \"c\": {\"d\": false}}",
     "{\"a\":1,\"b\":[1.5,-0.0,1e-05,12.0],\"c\":{\"d\":false}}"},
    {"[\"\\u2028\\u2029\", \"\\u00a0\"]",
     "['\\u2028\\u2029', '\\xa0']",
     "['\\u2028\\u2029', '\\xa0']",
     "[\"\xe2\x80\xa8\xe2\x80\xa9\", \"\xc2\xa0\"]",
     "[\"\\u2028\\u2029\", \"\\u00a0\"]",
     "[\"\xe2\x80\xa8\xe2\x80\xa9\",\"\xc2\xa0\"]"},
    {"[1e22, 1e21, 123456789.0, 0.000001]",
     "[1e+22, 1e+21, 123456789.0, 1e-06]",
     "[1e+22, 1e+21, 123456789.0, 1e-06]",
     "[1e+22, 1e+21, 123456789.0, 1e-06]",
     "[1e+22, 1e+21, 123456789.0, 1e-06]",
     "[1e+22,1e+21,123456789.0,1e-06]"},
    {"{\"\": \"\"}",
     "{'': ''}",
     "{'': ''}",
     "{\"\": \"\"}",
     "{\"\": \"\"}",
     "{\"\":\"\"}"},
    {"[\"\\\\\", \"'\", \"\\\"\"]",
     "['\\\\', \"'\", '\"']",
     "['\\\\', \"'\", '\"']",
     "[\"\\\\\", \"'\", \"\\\"\"]",
     "[\"\\\\\", \"'\", \"\\\"\"]",
     "[\"\\\\\",\"'\",\"\\\"\"]"},
};

static void test_value_repr_str(void)
{
    af_arena *a = af_arena_new();
    af_buf b = {0};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        af_value *v = J(a, vals[i].json);
        af_buf_reset(&b);
        af_py_repr(&b, v);
        T_STREQ(af_buf_cstr(&b), vals[i].repr);
        af_buf_reset(&b);
        af_py_str(&b, v);
        T_STREQ(af_buf_cstr(&b), vals[i].str);
    }
    /* built directly: bools are not ints, int64 extremes, a double 1.0 */
    af_value *l = af_list(a);
    af_list_push(a, l, af_bool(1));
    af_list_push(a, l, af_int(a, INT64_MIN));
    af_list_push(a, l, af_int(a, INT64_MAX));
    af_list_push(a, l, af_double(a, 1.0));
    af_list_push(a, l, af_null());
    af_buf_reset(&b);
    af_py_str(&b, l);
    T_STREQ(af_buf_cstr(&b), "[True, -9223372036854775808, 9223372036854775807, 1.0, None]");
    af_buf_free(&b);
    af_arena_free(a);
}

/* ---- equality, truthiness, ordering --------------------------------------- */

static const struct {
    const char *a, *b;
    int equal; /* Python's a == b */
} eqs[] = {
    {"1", "1.0", 1},
    {"true", "1", 1},
    {"false", "0", 1},
    {"true", "1.0", 1},
    {"true", "2", 0},
    {"NaN", "NaN", 0},
    {"[1]", "[1.0]", 1},
    {"{\"a\": 1}", "{\"a\": true}", 1},
    {"\"1\"", "1", 0},
    {"null", "null", 1},
    {"null", "false", 0},
    {"{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"a\": 1}", 1},
    {"9007199254740993", "9007199254740992.0", 0},
    {"9007199254740992", "9007199254740992.0", 1},
    {"9223372036854775807", "9223372036854775807.0", 0},
    {"-9223372036854775808", "-9223372036854775808.0", 1},
    {"0", "-0.0", 1},
    {"[]", "{}", 0},
    {"\"\"", "null", 0},
    {"[1, [2, {\"x\": null}]]", "[1, [2, {\"x\": null}]]", 1},
    {"[1, 2]", "[2, 1]", 0},
    {"{\"a\": 1}", "{\"a\": 1, \"b\": 2}", 0},
    {"\"a\"", "\"a\"", 1},
    {"\"a\"", "\"b\"", 0},
    {"Infinity", "Infinity", 1},
    {"Infinity", "9223372036854775807", 0},
    {"0.1", "0.1", 1},
    {"1e400", "Infinity", 1},
    {"2", "2.5", 0},
};

static void test_equality(void)
{
    af_arena *a = af_arena_new();
    for (size_t i = 0; i < sizeof eqs / sizeof eqs[0]; i++) {
        af_value *x = J(a, eqs[i].a), *y = J(a, eqs[i].b);
        int got = af_value_equal(x, y), back = af_value_equal(y, x);
        if (got != eqs[i].equal || back != eqs[i].equal) {
            printf("#   %s == %s: got %d/%d, Python says %d\n", eqs[i].a, eqs[i].b, got, back,
                   eqs[i].equal);
            t_failed_checks++;
        }
    }
    /* a NaN is not equal even to itself: values are compared, not objects */
    af_value *n = af_double(a, NAN);
    T_INTEQ(af_value_equal(n, n), 0);
    /* strings with NULs compare by length too */
    T_INTEQ(af_value_equal(af_strn(a, "a\0b", 3), af_strn(a, "a\0c", 3)), 0);
    T_INTEQ(af_value_equal(af_strn(a, "a\0b", 3), af_strn(a, "a\0b", 3)), 1);
    T_INTEQ(af_value_equal(af_strn(a, "a", 1), af_strn(a, "a\0", 2)), 0);
    af_arena_free(a);
}

static const struct {
    const char *json;
    int truthy; /* Python's bool() */
} truths[] = {
    {"null", 0},
    {"true", 1},
    {"false", 0},
    {"0", 0},
    {"1", 1},
    {"-1", 1},
    {"0.0", 0},
    {"-0.0", 0},
    {"NaN", 1},
    {"0.5", 1},
    {"\"\"", 0},
    {"\" \"", 1},
    {"\"0\"", 1},
    {"\"False\"", 1},
    {"[]", 0},
    {"[0]", 1},
    {"{}", 0},
    {"{\"\": null}", 1},
    {"Infinity", 1},
    {"1e-300", 1},
};

static void test_truthiness(void)
{
    af_arena *a = af_arena_new();
    for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
        int got = af_truthy(J(a, truths[i].json));
        if (got != truths[i].truthy) {
            printf("#   bool(%s): got %d, Python says %d\n", truths[i].json, got, truths[i].truthy);
            t_failed_checks++;
        }
    }
    af_arena_free(a);
}

static const struct {
    const char *a, *b;
    int cmp; /* -1 a < b, 0 equal, 1 a > b, 2 unordered (NaN) */
} cmps[] = {
    {"1", "2", -1},
    {"2", "1", 1},
    {"1", "1.0", 0},
    {"true", "0.5", 1},
    {"false", "-0.0", 0},
    {"NaN", "1", 2},
    {"1", "NaN", 2},
    {"9007199254740993", "9007199254740992.0", 1},
    {"9223372036854775807", "9223372036854775807.0", -1},
    {"-9223372036854775808", "-9223372036854775808.0", 0},
    {"-9223372036854775808", "-1e19", 1},
    {"Infinity", "9223372036854775807", 1},
    {"-Infinity", "-9223372036854775808", -1},
    {"2.5", "2", 1},
    {"-2.5", "-2", -1},
    {"-3", "-2.5", -1},
    {"0.1", "0.1", 0},
    {"1e308", "1e307", 1},
};

static void test_num_cmp(void)
{
    af_arena *a = af_arena_new();
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++) {
        af_value *x = J(a, cmps[i].a), *y = J(a, cmps[i].b);
        int got = af__num_cmp(x, y), back = af__num_cmp(y, x);
        int want_back = cmps[i].cmp == 2 ? 2 : -cmps[i].cmp;
        if (got != cmps[i].cmp || back != want_back) {
            printf("#   cmp(%s, %s): got %d/%d, Python says %d\n", cmps[i].a, cmps[i].b, got,
                   back, cmps[i].cmp);
            t_failed_checks++;
        }
    }
    af_arena_free(a);
}

/* ---- maps, lists, copies -------------------------------------------------- */

static void test_containers(void)
{
    af_arena *a = af_arena_new();
    af_value *m = af_map(a);
    af_map_set(a, m, "b", af_int(a, 1));
    af_map_set(a, m, "a", af_int(a, 2));
    af_map_set(a, m, "b", af_str(a, "replaced")); /* keeps its place, like a dict */
    af_buf b = {0};
    af_py_repr(&b, m);
    T_STREQ(af_buf_cstr(&b), "{'b': 'replaced', 'a': 2}");
    T_CHECK(af_map_get(m, "zz") == NULL);
    T_CHECK(af_map_get(af_int(a, 1), "b") == NULL);
    T_CHECK(af_map_get(NULL, "b") == NULL);
    T_INTEQ(af_map_del(m, "b"), 1);
    T_INTEQ(af_map_del(m, "b"), 0);
    af_buf_reset(&b);
    af_py_repr(&b, m);
    T_STREQ(af_buf_cstr(&b), "{'a': 2}");
    /* many keys: growth keeps order and lookups */
    af_value *big = af_map(a), *l = af_list(a);
    for (int i = 0; i < 1000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        af_map_set(a, big, k, af_int(a, i));
        af_list_push(a, l, af_int(a, i));
    }
    T_INTEQ(big->u.map.n, 1000);
    T_STREQ(big->u.map.pairs[999].key, "k999");
    T_INTEQ(af_map_get(big, "k500")->u.i, 500);
    T_INTEQ(l->u.list.items[999]->u.i, 999);
    /* deep copies are independent and equal */
    af_value *orig = J(a, "{\"x\": [1, {\"y\": \"z\"}], \"n\": null, \"f\": 1.5}");
    af_arena *b2 = af_arena_new();
    af_value *copy = af_value_copy(b2, orig);
    T_INTEQ(af_value_equal(orig, copy), 1);
    af_map_set(b2, af_map_get(copy, "x")->u.list.items[1], "y", af_str(b2, "changed"));
    T_STREQ(af_map_get(af_map_get(orig, "x")->u.list.items[1], "y")->u.s.ptr, "z");
    T_INTEQ(af_value_equal(orig, copy), 0);
    af_arena_free(b2);
    /* names */
    T_STREQ(af_type_name(AF_NULL), "null");
    T_STREQ(af_type_name(AF_DOUBLE), "float");
    T_STREQ(af_type_name(AF_MAP), "map");
    T_STREQ(af_type_name((af_type)42), "?");
    T_CHECK(af_bool(7) == &af_true_value && af_bool(0) == &af_false_value);
    T_STREQ(af_str(a, NULL)->u.s.ptr, "");
    af_buf_free(&b);
    af_arena_free(a);
}

/* ---- UTF-8 decoding ------------------------------------------------------- */

static void test_utf8_decode(void)
{
    struct {
        const char *s;
        size_t n;
        int len;
        unsigned cp;
    } cases[] = {
        {"a", 1, 1, 'a'},
        {"\xc3\xa9", 2, 2, 0xe9},
        {"\xe2\x82\xac", 3, 3, 0x20ac},
        {"\xf0\x9f\x98\x80", 4, 4, 0x1f600},
        {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
        {"\xed\xa0\x80", 3, 3, 0xd800},     /* an encoded surrogate decodes to itself */
        {"\xc0\x80", 2, 1, 0xdcc0},         /* overlong */
        {"\xe0\x80\xaf", 3, 1, 0xdce0},     /* overlong */
        {"\xf4\x90\x80\x80", 4, 1, 0xdcf4}, /* past U+10FFFF */
        {"\xe2\x82", 2, 1, 0xdce2},         /* truncated */
        {"\xe2\x28\xa1", 3, 1, 0xdce2},     /* bad continuation */
        {"\x80", 1, 1, 0xdc80},             /* lone continuation */
        {"\xff", 1, 1, 0xdcff},
        {"\xf8\x88\x80\x80\x80", 5, 1, 0xdcf8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned cp = 0;
        int len = af__utf8_decode((const unsigned char *)cases[i].s, cases[i].n, &cp);
        T_INTEQ(len, cases[i].len);
        T_INTEQ(cp, cases[i].cp);
    }
}

int main(void)
{
    T_RUN(test_float_repr);
    T_RUN(test_str_repr);
    T_RUN(test_value_repr_str);
    T_RUN(test_equality);
    T_RUN(test_truthiness);
    T_RUN(test_num_cmp);
    T_RUN(test_containers);
    T_RUN(test_utf8_decode);
    T_END();
}
