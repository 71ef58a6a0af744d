package dev.tiergate.local.launch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The build step that makes picocli's and sqlite4java's Java 5 classes storable in `up`'s AOT cache. */
class ClassVersionUpgradeTest {

    private static final String SEP = System.getProperty("path.separator");

    @TempDir
    Path dir;

    @Test
    void upgradesPicocliToJava8ClassesThatVerifyAndStillParseACommandLine() throws Exception {
        Path picocli = jarOf(picocli.CommandLine.class);
        Path modern = jarOf(com.fasterxml.jackson.core.JsonFactory.class);
        Path folder = Files.createDirectories(dir.resolve("classes"));
        Path nativeLib = Files.writeString(dir.resolve("libsqlite4java-linux-amd64.so"), "not a jar");
        Path classpath = Files.writeString(dir.resolve("launch-classpath.txt"),
                String.join(SEP, folder.toString(), picocli.toString(), nativeLib.toString(), modern.toString()));
        assertThat(versions(picocli).values()).as("picocli ships Java 5 class files").containsOnly(49);

        List<Path> written = ClassVersionUpgrade.rewriteClasspath(classpath, dir.resolve("launch"));

        Path copy = dir.resolve("launch").resolve(picocli.getFileName());
        assertThat(written).containsExactly(copy);
        assertThat(Files.readString(classpath).split(SEP)).containsExactly(folder.toString(), copy.toAbsolutePath().toString(),
                nativeLib.toString(), modern.toString());
        Map<String, Integer> upgraded = versions(copy);
        assertThat(upgraded.keySet()).isEqualTo(versions(picocli).keySet());
        assertThat(upgraded.values()).containsOnly(52);
        assertThat(entryNames(copy)).isEqualTo(entryNames(picocli));

        // Every class links and initialises under the verifier that needs the computed stack maps...
        try (URLClassLoader loader = new URLClassLoader(new URL[]{copy.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            for (String name : upgraded.keySet()) {
                Class.forName(name.replace('/', '.').replaceAll("\\.class$", ""), true, loader);
            }
            // ...and the parser still parses: an option with an int converter, through the rewritten code.
            Class<?> specs = loader.loadClass("picocli.CommandLine$Model$CommandSpec");
            Class<?> options = loader.loadClass("picocli.CommandLine$Model$OptionSpec");
            Object builder = call(null, options, "builder", new Class<?>[]{String[].class}, (Object) new String[]{"--port"});
            call(builder, builder.getClass(), "type", new Class<?>[]{Class.class}, int.class);
            Object option = call(builder, builder.getClass(), "build", new Class<?>[0]);
            Object spec = call(null, specs, "create", new Class<?>[0]);
            call(spec, specs, "addOption", new Class<?>[]{options}, option);
            Class<?> commandLine = loader.loadClass("picocli.CommandLine");
            Object cl = commandLine.getConstructor(Object.class).newInstance(spec);
            Object result = call(cl, commandLine, "parseArgs", new Class<?>[]{String[].class}, (Object) new String[]{"--port", "8199"});
            Object port = call(result, result.getClass(), "matchedOptionValue", new Class<?>[]{String.class, Object.class}, "--port", -1);
            assertThat(port).isEqualTo(8199);
        }
    }

    @Test
    void aClassWhoseStackMapsNeedAMissingLibraryStaysAsItWasBesideTheOthers() throws Exception {
        Path jar = dir.resolve("old-lib.jar");
        writeJar(jar, Map.of(
                "old/Plain.class", java5Class("old/Plain", false),
                "old/UsesOptional.class", java5Class("old/UsesOptional", true)));
        Path classpath = Files.writeString(dir.resolve("cp.txt"), jar.toString());

        ClassVersionUpgrade.rewriteClasspath(classpath, dir.resolve("launch"));

        Map<String, Integer> versions = versions(dir.resolve("launch/old-lib.jar"));
        assertThat(versions).containsEntry("old/Plain.class", 52)
                // its branches merge two types of a library this class path lacks: no stack map can be computed
                .containsEntry("old/UsesOptional.class", 49);
        try (URLClassLoader loader = new URLClassLoader(new URL[]{dir.resolve("launch/old-lib.jar").toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            Object plain = loader.loadClass("old.Plain").getConstructor().newInstance();
            assertThat(plain.getClass().getMethod("pick", boolean.class).invoke(plain, true)).isEqualTo("yes");
            assertThat(plain.getClass().getMethod("pick", boolean.class).invoke(plain, false)).isEqualTo(7);
        }
    }

    @Test
    void aClassPathOfModernJarsIsLeftAlone() throws Exception {
        Path modern = jarOf(com.fasterxml.jackson.core.JsonFactory.class);
        String before = modern.toString();
        Path classpath = Files.writeString(dir.resolve("cp.txt"), before);

        assertThat(ClassVersionUpgrade.rewriteClasspath(classpath, dir.resolve("launch"))).isEmpty();
        assertThat(Files.readString(classpath)).isEqualTo(before);
        try (var files = Files.list(dir.resolve("launch"))) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aCopyNewerThanItsJarIsKeptAndAChangedJarIsUpgradedAgain() throws Exception {
        Path jar = dir.resolve("old-lib.jar");
        writeJar(jar, Map.of("old/Plain.class", java5Class("old/Plain", false)));
        Path classpath = dir.resolve("cp.txt");
        Files.writeString(classpath, jar.toString());
        assertThat(ClassVersionUpgrade.rewriteClasspath(classpath, dir.resolve("launch"))).hasSize(1);

        Files.writeString(classpath, jar.toString());
        assertThat(ClassVersionUpgrade.rewriteClasspath(classpath, dir.resolve("launch"))).as("unchanged jar").isEmpty();
        assertThat(Files.readString(classpath)).isEqualTo(dir.resolve("launch/old-lib.jar").toAbsolutePath().toString());

        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        Files.writeString(classpath, jar.toString());
        assertThat(ClassVersionUpgrade.rewriteClasspath(classpath, dir.resolve("launch"))).as("newer jar").hasSize(1);
    }

    /**
     * A Java 5 class with {@code Object pick(boolean)}: "yes" or 7, whose two branches meet with different types, so
     * the stack map there needs their common superclass. With {@code optionalTypes} the two types come from a
     * library that is not on any class path.
     */
    private static byte[] java5Class(String name, boolean optionalTypes) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_5, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name, null, "java/lang/Object", null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        String a = optionalTypes ? "optional/lib/A" : "java/lang/String";
        String b = optionalTypes ? "optional/lib/B" : "java/lang/Integer";
        MethodVisitor m = cw.visitMethod(Opcodes.ACC_PUBLIC, "pick", "(Z)Ljava/lang/Object;", null, null);
        m.visitCode();
        Label other = new Label();
        Label done = new Label();
        m.visitVarInsn(Opcodes.ILOAD, 1);
        m.visitJumpInsn(Opcodes.IFEQ, other);
        if (optionalTypes) {
            m.visitMethodInsn(Opcodes.INVOKESTATIC, a, "make", "()L" + a + ";", false);
        } else {
            m.visitLdcInsn("yes");
        }
        m.visitJumpInsn(Opcodes.GOTO, done);
        m.visitLabel(other);
        if (optionalTypes) {
            m.visitMethodInsn(Opcodes.INVOKESTATIC, b, "make", "()L" + b + ";", false);
        } else {
            m.visitIntInsn(Opcodes.BIPUSH, 7);
            m.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
        }
        m.visitLabel(done);
        m.visitInsn(Opcodes.ARETURN);
        m.visitMaxs(0, 0);
        m.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A public method of picocli's model, some declared on its package-private supertypes. */
    private static Object call(Object target, Class<?> type, String name, Class<?>[] params, Object... args) throws Exception {
        java.lang.reflect.Method m = type.getMethod(name, params);
        m.setAccessible(true);
        return m.invoke(target, args);
    }

    private static void writeJar(Path jar, Map<String, byte[]> entries) throws IOException {
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            for (Map.Entry<String, byte[]> e : new TreeMap<>(entries).entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
    }

    private static Path jarOf(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Class file name to major version, for every class outside META-INF. */
    private static Map<String, Integer> versions(Path jar) throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        try (JarFile in = new JarFile(jar.toFile(), false)) {
            for (JarEntry e : Collections.list(in.entries())) {
                if (!e.getName().endsWith(".class") || e.getName().startsWith("META-INF/")) continue;
                try (InputStream s = in.getInputStream(e)) {
                    byte[] head = s.readNBytes(8);
                    out.put(e.getName(), ((head[6] & 0xff) << 8) | (head[7] & 0xff));
                }
            }
        }
        return out;
    }

    private static List<String> entryNames(Path jar) throws IOException {
        List<String> names = new ArrayList<>();
        try (JarFile in = new JarFile(jar.toFile(), false)) {
            for (JarEntry e : Collections.list(in.entries())) names.add(e.getName());
        }
        Collections.sort(names);
        return names;
    }
}
