package dev.tiergate.infra;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.CloudAssembly;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TiergateAppTest {

    @Test
    void appSynthesizesACloudFormationTemplateThatPassesCdkNag() throws Exception {
        Path out = Files.createTempDirectory("cdk-out");
        App app = new App(AppProps.builder().outdir(out.toString()).build());
        GatewayStack stack = TiergateApp.build(app);
        Aspects.of(app).add(new AwsSolutionsChecks());

        Template template = Template.fromStack(stack);
        template.templateMatches(Map.of("Description", "tiergate: OpenAI-compatible LLM gateway with tiered routing and hard budgets"));
        assertThat(Annotations.fromStack(stack).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))).isEmpty();

        CloudAssembly assembly = app.synth();
        Path file = Path.of(assembly.getDirectory(), stack.getTemplateFile());
        assertThat(file).exists();
        assertThat(Files.readString(file)).contains("\"Description\"");
    }
}
