module.exports = function (eleventyConfig) {
  eleventyConfig.addPassthroughCopy("src/img");
  eleventyConfig.addPassthroughCopy({ "src/static": "/" });
  eleventyConfig.addPassthroughCopy("src/blog/**/*.png");

  eleventyConfig.addShortcode("image", (src, alt) => `<img src="${src}" alt="${alt}">`);
  eleventyConfig.addPairedShortcode("callout", (content, kind) => `<aside class="${kind}">${content}</aside>`);
  eleventyConfig.addShortcode("year", () => `${new Date().getFullYear()}`);

  return {
    markdownTemplateEngine: "njk",
    dir: { input: "src", includes: "_includes", data: "_data", output: "_site" },
  };
};
