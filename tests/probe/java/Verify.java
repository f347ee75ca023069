import java.io.*;
import java.nio.file.*;
import java.security.KeyStore;
import java.security.cert.*;
import java.util.*;
import javax.net.ssl.*;
import sun.security.util.HostnameChecker;

/**
 * The real JSSE's answer for each case of a directory: java --add-exports
 * java.base/sun.security.util=ALL-UNNAMED Verify.java DIR
 * Each case is a sub-directory with store.pem (the trusted store's certificates), chain.pem (the
 * server's chain, its certificate first) and, optionally, host.txt (a host name to check as
 * endpoint identification "HTTPS" does). Prints one line per case: NAME OK or NAME FAIL reason.
 */
public class Verify {
    public static void main(String[] args) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        File[] cases = new File(args[0]).listFiles(File::isDirectory);
        Arrays.sort(cases);
        for (File dir : cases) {
            String result;
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                int i = 0;
                try (InputStream in = new FileInputStream(new File(dir, "store.pem"))) {
                    for (Certificate cert : factory.generateCertificates(in)) {
                        store.setCertificateEntry("ca" + (i++), cert);
                    }
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
                tmf.init(store);
                X509TrustManager tm = null;
                for (TrustManager t : tmf.getTrustManagers()) {
                    if (t instanceof X509TrustManager) tm = (X509TrustManager) t;
                }
                List<X509Certificate> chain = new ArrayList<>();
                try (InputStream in = new FileInputStream(new File(dir, "chain.pem"))) {
                    for (Certificate cert : factory.generateCertificates(in)) chain.add((X509Certificate) cert);
                }
                // TLS 1.3 and ECDHE handshakes pass "UNKNOWN" / "ECDHE_RSA": a signature key usage.
                tm.checkServerTrusted(chain.toArray(new X509Certificate[0]), "UNKNOWN");
                File host = new File(dir, "host.txt");
                if (host.exists()) {
                    String name = Files.readString(host.toPath()).trim();
                    HostnameChecker.getInstance(HostnameChecker.TYPE_TLS).match(name, chain.get(0));
                }
                result = "OK";
            } catch (Exception e) {
                result = "FAIL " + String.valueOf(e.getMessage()).replace('\n', ' ');
            }
            System.out.println(dir.getName() + " " + result);
        }
    }
}
