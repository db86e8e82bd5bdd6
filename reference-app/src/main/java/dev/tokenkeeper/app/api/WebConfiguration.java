package dev.tokenkeeper.app.api;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

@Configuration(proxyBeanMethods = false)
public class WebConfiguration implements WebMvcConfigurer {
    private final ApiAuth guard;

    public WebConfiguration(ApiAuth guard) {
        this.guard = guard;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(guard)
                .addPathPatterns("/api/v1/**")
                .excludePathPatterns(
                        "/api/v1/health", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/inference");
    }
}
