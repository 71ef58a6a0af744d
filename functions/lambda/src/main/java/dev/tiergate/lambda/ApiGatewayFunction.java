package dev.tiergate.lambda;

import dev.tiergate.openai.ServerSentEvents;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import dev.tiergate.core.gateway.GatewayApi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * An API Gateway (REST, proxy integration) event in, its response out, through the same {@link GatewayApi} the local
 * server runs. The Java managed runtime cannot stream a response, so a streamed answer is collected into one SSE
 * body here; the deployed stack streams through the Lambda Web Adapter instead (the infra issue).
 *
 * @param fixedPath when present, every event is treated as a request to this path (a function bound to one route)
 * @param returned  told when the handler has its response (or failed), so what it left can be written after it
 */
public record ApiGatewayFunction(GatewayApi api, Optional<String> fixedPath, Runnable returned)
        implements Function<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {

    public ApiGatewayFunction(GatewayApi api, Optional<String> fixedPath) {
        this(api, fixedPath, () -> { });
    }

    @Override
    public APIGatewayProxyResponseEvent apply(APIGatewayProxyRequestEvent event) {
        try {
            return respond(event);
        } finally {
            returned.run();
        }
    }

    private APIGatewayProxyResponseEvent respond(APIGatewayProxyRequestEvent event) {
        byte[] body = event.getBody() == null ? new byte[0]
                : Boolean.TRUE.equals(event.getIsBase64Encoded()) ? Base64.getDecoder().decode(event.getBody())
                : event.getBody().getBytes(StandardCharsets.UTF_8);
        String method = event.getHttpMethod() == null ? "POST" : event.getHttpMethod();
        ApiRequest request = new ApiRequest(method, fixedPath.orElse(event.getPath() == null ? "/" : event.getPath()),
                orEmpty(event.getQueryStringParameters()), orEmpty(event.getHeaders()), body);
        ApiResponse response = api.handle(request);
        APIGatewayProxyResponseEvent out = new APIGatewayProxyResponseEvent()
                .withStatusCode(response.status()).withHeaders(response.headers()).withIsBase64Encoded(false);
        return switch (response) {
            case ApiResponse.Whole w -> out.withBody(new String(w.body(), StandardCharsets.UTF_8));
            case ApiResponse.EventStream s -> out.withBody(collect(s));
        };
    }

    private static String collect(ApiResponse.EventStream s) {
        StringBuilder sb = new StringBuilder();
        try {
            s.body().writeTo(new ApiResponse.EventSink() {
                @Override
                public void data(String data) {
                    sb.append(ServerSentEvents.data(data));
                }

                @Override
                public void comment(String text) {
                    sb.append(ServerSentEvents.comment(text));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    private static Map<String, String> orEmpty(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }
}
