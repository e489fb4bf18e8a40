package sim

import (
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

func init() {
	register(SvcECR, "DescribeRepositories", (*Sim).ecrDescribeRepositories)
	register(SvcECR, "DescribeImages", (*Sim).ecrDescribeImages)
	register(SvcECR, "ListImages", (*Sim).ecrListImages)
	register(SvcECR, "BatchGetImage", (*Sim).ecrBatchGetImage)
	register(SvcECR, "PutImage", (*Sim).ecrPutImage)
}

func (s *Sim) ecrRepoNotFound(name string) *APIError {
	return apiErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, s.AccountID)
}

func (s *Sim) ecrTagImmutable(repo, tag string) *APIError {
	return apiErr("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, repo)
}

func ecrInvalid(format string, args ...any) *APIError {
	return apiErr("InvalidParameterException", format, args...)
}

// ecrRepo finds the repository named by an operation's input.
func (s *Sim) ecrRepo(op string, registryID, name *string) (*ECRRepo, error) {
	if id := aws.ToString(registryID); id != "" && id != s.AccountID {
		return s.ecrForeignRepo(op, id, aws.ToString(name))
	}
	r := s.ecr.Repos[aws.ToString(name)]
	if r == nil {
		return nil, s.ecrRepoNotFound(aws.ToString(name))
	}
	return r, nil
}

func ecrMaxResults(m *int32, def int, pageSize int) (int, error) {
	n := def
	if m != nil {
		if *m < 1 || *m > 1000 {
			return 0, ecrInvalid("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'")
		}
		n = int(*m)
	}
	return min(n, pageSize), nil
}

func (s *Sim) ecrRepository(r *ECRRepo) ecrtypes.Repository {
	mut := ecrtypes.ImageTagMutabilityMutable
	if r.Immutable {
		mut = ecrtypes.ImageTagMutabilityImmutable
	}
	return ecrtypes.Repository{
		RepositoryName:             aws.String(r.Name),
		RepositoryArn:              aws.String(s.arn("ecr", "repository/"+r.Name)),
		RepositoryUri:              aws.String(s.ECRRegistry() + "/" + r.Name),
		RegistryId:                 aws.String(s.AccountID),
		CreatedAt:                  aws.Time(r.CreatedAt),
		ImageTagMutability:         mut,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{},
		EncryptionConfiguration:    &ecrtypes.EncryptionConfiguration{EncryptionType: ecrtypes.EncryptionTypeAes256},
	}
}

func (s *Sim) ecrDescribeRepositories(in *ecr.DescribeRepositoriesInput) (*ecr.DescribeRepositoriesOutput, error) {
	if id := aws.ToString(in.RegistryId); id != "" && id != s.AccountID {
		if len(in.RepositoryNames) > 0 {
			if _, err := s.ecrForeignRepo("DescribeRepositories", id, in.RepositoryNames[0]); err != nil {
				return nil, err
			}
		}
		return nil, ecrInvalid("Invalid parameter at 'registryId': the registry '%s' is not accessible", id)
	}
	out := &ecr.DescribeRepositoriesOutput{Repositories: []ecrtypes.Repository{}}
	if len(in.RepositoryNames) > 0 {
		if in.MaxResults != nil || in.NextToken != nil {
			return nil, ecrInvalid("Invalid parameter: maxResults and nextToken cannot be used with repositoryNames")
		}
		if len(in.RepositoryNames) > 100 {
			return nil, ecrInvalid("Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length less than or equal to 100'")
		}
		for _, n := range in.RepositoryNames {
			r := s.ecr.Repos[n]
			if r == nil {
				return nil, s.ecrRepoNotFound(n)
			}
			out.Repositories = append(out.Repositories, s.ecrRepository(r))
		}
		return out, nil
	}
	limit, err := ecrMaxResults(in.MaxResults, 100, s.PageSize())
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range s.ecr.Repos {
		names = append(names, n)
	}
	page, next, ok := pageOfKeys(names, in.NextToken, limit)
	if !ok {
		return nil, ecrInvalid("Invalid parameter at 'nextToken': the token is invalid")
	}
	out.NextToken = next
	for _, n := range page {
		out.Repositories = append(out.Repositories, s.ecrRepository(s.ecr.Repos[n]))
	}
	return out, nil
}

func (s *Sim) ecrImageNotFound(r *ECRRepo, id ecrtypes.ImageIdentifier) *APIError {
	q := func(p *string) string {
		if p == nil {
			return "null"
		}
		return "'" + *p + "'"
	}
	return apiErr("ImageNotFoundException", "The image with imageId {imageDigest:%s, imageTag:%s} does not exist within the repository with name '%s' in the registry with id '%s'",
		q(id.ImageDigest), q(id.ImageTag), r.Name, s.AccountID)
}

// ecrFind resolves an image identifier (tag and/or digest).
func ecrFind(r *ECRRepo, id ecrtypes.ImageIdentifier) *ECRImage {
	digest := aws.ToString(id.ImageDigest)
	if tag := aws.ToString(id.ImageTag); tag != "" {
		d, ok := r.Tags[tag]
		if !ok || (digest != "" && d != digest) {
			return nil
		}
		digest = d
	}
	if digest == "" {
		return nil
	}
	return r.Images[digest]
}

func (s *Sim) ecrDetail(r *ECRRepo, im *ECRImage) ecrtypes.ImageDetail {
	d := ecrtypes.ImageDetail{
		RegistryId:             aws.String(s.ecrRegistryOf(r)),
		RepositoryName:         aws.String(r.Name),
		ImageDigest:            aws.String(im.Digest),
		ImagePushedAt:          aws.Time(im.PushedAt),
		ImageSizeInBytes:       aws.Int64(im.Size),
		ImageManifestMediaType: aws.String(im.MediaType),
		ArtifactMediaType:      aws.String("application/vnd.docker.container.image.v1+json"),
		ImageStatus:            ecrtypes.ImageStatusActive,
	}
	if tags := r.tagsOf(im.Digest); len(tags) > 0 {
		d.ImageTags = tags
	}
	return d
}

func tagStatusOf(f ecrtypes.TagStatus) (ecrtypes.TagStatus, error) {
	switch f {
	case "":
		return ecrtypes.TagStatusAny, nil
	case ecrtypes.TagStatusAny, ecrtypes.TagStatusTagged, ecrtypes.TagStatusUntagged:
		return f, nil
	}
	return "", ecrInvalid("Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, ANY, UNTAGGED]'")
}

// ecrImagesSorted lists a repository's images, newest first (then by digest).
func ecrImagesSorted(r *ECRRepo, status ecrtypes.TagStatus) []*ECRImage {
	var list []*ECRImage
	for _, im := range r.Images {
		tagged := len(r.tagsOf(im.Digest)) > 0
		if (status == ecrtypes.TagStatusTagged && !tagged) || (status == ecrtypes.TagStatusUntagged && tagged) {
			continue
		}
		list = append(list, im)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].PushedAt.Equal(list[j].PushedAt) {
			return list[i].PushedAt.After(list[j].PushedAt)
		}
		return list[i].Digest < list[j].Digest
	})
	return list
}

func (s *Sim) ecrDescribeImages(in *ecr.DescribeImagesInput) (*ecr.DescribeImagesOutput, error) {
	r, err := s.ecrRepo("DescribeImages", in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	status := ecrtypes.TagStatusAny
	if in.Filter != nil {
		if status, err = tagStatusOf(in.Filter.TagStatus); err != nil {
			return nil, err
		}
	}
	out := &ecr.DescribeImagesOutput{ImageDetails: []ecrtypes.ImageDetail{}}
	if len(in.ImageIds) > 0 {
		if in.MaxResults != nil || in.NextToken != nil {
			return nil, ecrInvalid("Invalid parameter: maxResults and nextToken cannot be used with imageIds")
		}
		if len(in.ImageIds) > 100 {
			return nil, ecrInvalid("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to 100'")
		}
		seen := map[string]bool{}
		for _, id := range in.ImageIds {
			if id.ImageTag == nil && id.ImageDigest == nil {
				return nil, ecrInvalid("Invalid parameter at 'imageIds': both tag and digest cannot be null")
			}
			im := ecrFind(r, id)
			if im == nil {
				return nil, s.ecrImageNotFound(r, id)
			}
			if !seen[im.Digest] {
				seen[im.Digest] = true
				out.ImageDetails = append(out.ImageDetails, s.ecrDetail(r, im))
			}
		}
		return out, nil
	}
	limit, err := ecrMaxResults(in.MaxResults, 100, s.PageSize())
	if err != nil {
		return nil, err
	}
	list := ecrImagesSorted(r, status)
	start, err := ecrPageStart(in.NextToken, len(list))
	if err != nil {
		return nil, err
	}
	for i := start; i < len(list); i++ {
		if i-start == limit {
			out.NextToken = aws.String(pageTokenEncode(i))
			break
		}
		out.ImageDetails = append(out.ImageDetails, s.ecrDetail(r, list[i]))
	}
	return out, nil
}

func ecrPageStart(tok *string, n int) (int, error) {
	if tok == nil {
		return 0, nil
	}
	var i int
	if !pageTokenDecode(*tok, &i) || i < 0 || i > n {
		return 0, ecrInvalid("Invalid parameter at 'nextToken': the token is invalid")
	}
	return i, nil
}

func (s *Sim) ecrListImages(in *ecr.ListImagesInput) (*ecr.ListImagesOutput, error) {
	r, err := s.ecrRepo("ListImages", in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	status := ecrtypes.TagStatusAny
	if in.Filter != nil {
		if status, err = tagStatusOf(in.Filter.TagStatus); err != nil {
			return nil, err
		}
	}
	limit, err := ecrMaxResults(in.MaxResults, 100, s.PageSize())
	if err != nil {
		return nil, err
	}
	var ids []ecrtypes.ImageIdentifier
	for _, im := range ecrImagesSorted(r, status) {
		tags := r.tagsOf(im.Digest)
		if len(tags) == 0 {
			ids = append(ids, ecrtypes.ImageIdentifier{ImageDigest: aws.String(im.Digest)})
		}
		for _, t := range tags {
			ids = append(ids, ecrtypes.ImageIdentifier{ImageDigest: aws.String(im.Digest), ImageTag: aws.String(t)})
		}
	}
	start, err := ecrPageStart(in.NextToken, len(ids))
	if err != nil {
		return nil, err
	}
	out := &ecr.ListImagesOutput{ImageIds: []ecrtypes.ImageIdentifier{}}
	for i := start; i < len(ids); i++ {
		if i-start == limit {
			out.NextToken = aws.String(pageTokenEncode(i))
			break
		}
		out.ImageIds = append(out.ImageIds, ids[i])
	}
	return out, nil
}

func (s *Sim) ecrBatchGetImage(in *ecr.BatchGetImageInput) (*ecr.BatchGetImageOutput, error) {
	r, err := s.ecrRepo("BatchGetImage", in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if len(in.ImageIds) == 0 || len(in.ImageIds) > 100 {
		return nil, ecrInvalid("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'")
	}
	out := &ecr.BatchGetImageOutput{Images: []ecrtypes.Image{}, Failures: []ecrtypes.ImageFailure{}}
	for _, id := range in.ImageIds {
		id := id
		if id.ImageTag == nil && id.ImageDigest == nil {
			out.Failures = append(out.Failures, ecrtypes.ImageFailure{ImageId: &id, FailureCode: ecrtypes.ImageFailureCodeMissingDigestAndTag, FailureReason: aws.String("Invalid request parameters: both tag and digest cannot be null")})
			continue
		}
		im := ecrFind(r, id)
		if im == nil {
			out.Failures = append(out.Failures, ecrtypes.ImageFailure{ImageId: &id, FailureCode: ecrtypes.ImageFailureCodeImageNotFound, FailureReason: aws.String("Requested image not found")})
			continue
		}
		if len(in.AcceptedMediaTypes) > 0 && !containsString(in.AcceptedMediaTypes, im.MediaType) {
			out.Failures = append(out.Failures, ecrtypes.ImageFailure{ImageId: &id, FailureCode: ecrtypes.ImageFailureCodeImageNotFound, FailureReason: aws.String("Requested image not found")})
			continue
		}
		out.Images = append(out.Images, ecrtypes.Image{
			ImageId:                &ecrtypes.ImageIdentifier{ImageDigest: aws.String(im.Digest), ImageTag: id.ImageTag},
			ImageManifest:          aws.String(im.Manifest),
			ImageManifestMediaType: aws.String(im.MediaType),
			RegistryId:             aws.String(s.ecrRegistryOf(r)),
			RepositoryName:         aws.String(r.Name),
		})
	}
	return out, nil
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Sim) ecrPutImage(in *ecr.PutImageInput) (*ecr.PutImageOutput, error) {
	r, err := s.ecrRepo("PutImage", in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	manifest := aws.ToString(in.ImageManifest)
	if strings.TrimSpace(manifest) == "" {
		return nil, ecrInvalid("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length greater than or equal to 1'")
	}
	digest := manifestDigest(manifest)
	if d := aws.ToString(in.ImageDigest); d != "" && d != digest {
		return nil, apiErr("ImageDigestDoesNotMatchException", "The specified image digest '%s' does not match the digest '%s' calculated for the manifest.", d, digest)
	}
	tag := aws.ToString(in.ImageTag)
	if cur, ok := r.Tags[tag]; tag != "" && ok {
		if cur == digest {
			return nil, apiErr("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in the registry with id '%s'", digest, tag, r.Name, s.AccountID)
		}
		if r.Immutable {
			return nil, s.ecrTagImmutable(r.Name, tag)
		}
	}
	if tag == "" && r.Images[digest] != nil {
		return nil, apiErr("ImageAlreadyExistsException", "Image with digest '%s' already exists in the repository with name '%s' in the registry with id '%s'", digest, r.Name, s.AccountID)
	}
	media := aws.ToString(in.ImageManifestMediaType)
	if media == "" {
		var m struct {
			MediaType string `json:"mediaType"`
		}
		if decodeJSON(manifest, &m) == nil && m.MediaType != "" {
			media = m.MediaType
		} else {
			media = dockerManifestV2
		}
	}
	if r.Images[digest] == nil {
		r.Images[digest] = &ECRImage{Digest: digest, Manifest: manifest, MediaType: media, PushedAt: s.now, Size: manifestSize(manifest)}
	}
	if tag != "" {
		r.Tags[tag] = digest
	}
	out := &ecr.PutImageOutput{Image: &ecrtypes.Image{
		ImageId:                &ecrtypes.ImageIdentifier{ImageDigest: aws.String(digest), ImageTag: in.ImageTag},
		ImageManifest:          aws.String(manifest),
		ImageManifestMediaType: aws.String(media),
		RegistryId:             aws.String(s.ecrRegistryOf(r)),
		RepositoryName:         aws.String(r.Name),
	}}
	return out, nil
}
